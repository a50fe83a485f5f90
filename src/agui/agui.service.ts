import { ConflictException, Injectable, MessageEvent, NotFoundException } from '@nestjs/common';
import type { BaseEvent, RunAgentInput } from '@ag-ui/core';
import { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import type { HitlRequest } from '../contract/hitl.types';
import { isValidId } from '../contract/ids';
import { RunRecord, isTerminal } from '../contract/run.types';
import { HitlService } from '../hitl/hitl.service';
import { RunStore } from '../runs/persistence/run-store.port';
import { RunsService } from '../runs/runs.service';
import type { SseSink } from '../stream/burst-writes';
import { StreamService } from '../stream/stream.service';
import { parseLogged, windowStart } from './agui-log';
import { ResumeAnswer, checkPrompt, lastUserMessage, parseResume } from './dto/run-agent-input.dto';
import { AuraLogEvent, AuraToAgui } from './mapping/aura-to-agui';

const PAGE = 500;

/** Where a POST's stream goes: the response, and its stream slot to give back when it ends. */
interface Output {
  sink: SseSink;
  release: () => void;
}

/** Why a POST streams only RUN_STARTED and RUN_ERROR: the contract's codes. */
class AguiRefusal {
  constructor(
    readonly code: 'stale_resume' | 'pending_interrupts',
    readonly message: string,
  ) {}
}

/**
 * AG-UI over the service's own paths: a new thread starts a run as POST /aura/runs does (limits,
 * access), a resume decides as POST /aura/hitl/approve|reject does (HitlService: access rules,
 * four-eyes, tenant), and every stream is StreamService's watch of the run's log, mapped. Nothing
 * here drives a run, so a client that goes away leaves the run as it is.
 */
@Injectable()
export class AguiService {
  constructor(
    private readonly runs: RunsService,
    private readonly streams: StreamService,
    private readonly hitl: HitlService,
    private readonly store: RunStore,
  ) {}

  /** Everything that can refuse with a status (400, 403, 404, 409, 429) happens before the returned stream is subscribed. */
  async run(user: AuthUser, input: RunAgentInput, sink: SseSink, release: () => void): Promise<Observable<MessageEvent>> {
    const out = { sink, release };
    const existing = await this.runs.findFor(user, input.threadId);
    try {
      if (input.resume?.length) return await this.resume(user, input, existing, out);
      if (!existing) {
        const prompt = checkPrompt(lastUserMessage(input.messages)?.text ?? '');
        const { run, created } = await this.runs.open(input.threadId, user, prompt);
        if (created) return this.follow(run, input, [], 0, out);
        return await this.attach(user, input, run, out);
      }
      return await this.attach(user, input, existing, out);
    } catch (err) {
      if (err instanceof AguiRefusal) return this.refuse(input, err, release);
      throw err;
    }
  }

  private async attach(user: AuthUser, input: RunAgentInput, run: RunRecord, out: Output): Promise<Observable<MessageEvent>> {
    if (this.isNewInput(input, run)) {
      if (run.status === 'paused') throw new AguiRefusal('pending_interrupts', 'The thread waits for a decision: answer its interrupts with resume[] before sending new input');
      if (isTerminal(run.status)) throw new ConflictException(`Thread ${run.sessionId} has ended (${run.status}); new input needs a new thread`);
    }
    // As a stream reconnect does: adopts a run whose instance is gone.
    await this.runs.open(run.sessionId, user, run.prompt);
    const log = await this.readLog(run.sessionId);
    return this.follow(run, input, log, windowStart(log) ?? 0, out);
  }

  private async resume(user: AuthUser, input: RunAgentInput, run: RunRecord | null, out: Output): Promise<Observable<MessageEvent>> {
    const answers = parseResume(input.resume ?? []);
    if (!run) throw new AguiRefusal('stale_resume', `Thread ${input.threadId} has no run to resume`);
    const requests: HitlRequest[] = [];
    for (const answer of answers) requests.push(await this.resumable(user, answer, run));
    if (run.status === 'paused' && run.requestId && !answers.some((a) => a.requestId === run.requestId)) {
      throw new AguiRefusal('pending_interrupts', `resume[] does not answer the open interrupt ${run.requestId}`);
    }
    for (const [i, answer] of answers.entries()) {
      if (requests[i].status === 'pending') await this.decide(user, answer);
    }
    const log = await this.readLog(run.sessionId);
    const from = windowStart(log, answers[0].requestId);
    if (from === null) throw new AguiRefusal('stale_resume', `Interrupt ${answers[0].requestId} is not in thread ${run.sessionId}`);
    return this.follow(run, input, log, from, out);
  }

  /** The request an answer names, when it can take that answer: pending, or already decided the same way (a resume sent again). */
  private async resumable(user: AuthUser, answer: ResumeAnswer, run: RunRecord): Promise<HitlRequest> {
    const stale = new AguiRefusal('stale_resume', `Interrupt ${answer.requestId} is not open on thread ${run.sessionId}`);
    if (!isValidId(answer.requestId)) throw stale;
    let request: HitlRequest;
    try {
      // Another tenant's request reads as unknown, exactly like one that does not exist.
      request = await this.hitl.get(answer.requestId, user);
    } catch (err) {
      if (err instanceof NotFoundException) throw stale;
      throw err;
    }
    if (request.sessionId !== run.sessionId) throw stale;
    if (request.status !== 'pending' && request.status !== answer.status) throw stale;
    return request;
  }

  private async decide(user: AuthUser, answer: ResumeAnswer): Promise<void> {
    try {
      const options = answer.params ? { params: answer.params } : answer.message !== undefined ? { message: answer.message } : {};
      await this.hitl.decideAsUser(answer.requestId, user, answer.status, answer.reason, options);
    } catch (err) {
      // Decided meanwhile (the same resume twice, on two instances): the same answer is no conflict.
      if (err instanceof ConflictException && (err.getResponse() as Partial<HitlRequest>).status === answer.status) return;
      if (err instanceof ConflictException || err instanceof NotFoundException) {
        throw new AguiRefusal('stale_resume', `Interrupt ${answer.requestId} was decided otherwise meanwhile`);
      }
      throw err;
    }
  }

  /** New user input: a last user message that is not the run's prompt (a client sends the whole conversation every time). */
  private isNewInput(input: RunAgentInput, run: RunRecord): boolean {
    const last = input.messages.at(-1);
    if (!last || last.role !== 'user') return false;
    const user = lastUserMessage([last]);
    return user !== null && user.id !== userMessageId(run) && user.text !== run.prompt;
  }

  private async readLog(sessionId: string): Promise<AuraLogEvent[]> {
    const out: AuraLogEvent[] = [];
    for (let after = 0; ; ) {
      const page = await this.store.readEvents(sessionId, after, PAGE);
      for (const e of page) {
        const parsed = parseLogged(e);
        if (parsed) out.push(parsed);
      }
      if (page.length < PAGE) return out;
      after = page[page.length - 1].seq;
    }
  }

  private mapper(run: RunRecord, input: RunAgentInput): AuraToAgui {
    const user = lastUserMessage(input.messages);
    // The client's own id for the prompt's message, so a snapshot does not show it twice.
    const id = user && user.text === run.prompt ? user.id : userMessageId(run);
    return new AuraToAgui(run.sessionId, input.runId, { id, content: run.prompt });
  }

  /** The AG-UI run: RUN_STARTED, then the log after `from`, mapped, live, up to the next pause or the end. */
  private follow(run: RunRecord, input: RunAgentInput, log: AuraLogEvent[], from: number, out: Output): Observable<MessageEvent> {
    const mapper = this.mapper(run, input);
    for (const e of log) if (e.seq <= from) mapper.absorb(e);
    return new Observable<MessageEvent>((subscriber) => {
      let n = 0;
      const emit = (events: BaseEvent[]) => events.forEach((e) => subscriber.next({ id: String(++n), data: JSON.stringify(e) }));
      emit(mapper.start());
      const settle = () => {
        if (!mapper.ended) emit(mapper.error('unavailable', 'The stream closed before the run paused or ended: POST again on the thread to attach'));
        subscriber.complete();
      };
      const watching = this.streams.watch(run.sessionId, from, out.sink, true, out.release).subscribe({
        next: (m) => {
          if ('retry' in m) return settle();
          if (m.id === undefined) return subscriber.next(m);
          const e = parseLogged({ seq: Number(m.id), type: String(m.type ?? ''), json: String(m.data) });
          if (e) emit(mapper.map(e));
          if (mapper.ended) subscriber.complete();
        },
        complete: settle,
        error: settle,
      });
      return () => watching.unsubscribe();
    });
  }

  private refuse(input: RunAgentInput, refusal: AguiRefusal, release: () => void): Observable<MessageEvent> {
    release();
    const mapper = new AuraToAgui(input.threadId, input.runId, { id: 'none', content: '' });
    const events = [...mapper.start(), ...mapper.error(refusal.code, refusal.message)];
    return new Observable<MessageEvent>((subscriber) => {
      events.forEach((e, i) => subscriber.next({ id: String(i + 1), data: JSON.stringify(e) }));
      subscriber.complete();
    });
  }
}

const userMessageId = (run: RunRecord): string => `user-${run.sessionId}`;

