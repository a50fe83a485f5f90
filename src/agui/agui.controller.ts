import { Body, Controller, HttpCode, MessageEvent, RequestMethod, Res, ServiceUnavailableException, Sse } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ApiAuthed } from '../common/swagger';
import { DrainState } from '../health/drain-state';
import { RUN_LIMIT_RETRY_AFTER_SECONDS } from '../runs/runs.service';
import { StreamSlots } from '../stream/stream-slots';
import { AguiService } from './agui.service';
import { RunAgentInputDto, parseRunAgentInput } from './dto/run-agent-input.dto';

const AGUI_DESCRIPTION = `AG-UI 1.0 over SSE: \`id: <n>\` and \`data: <AG-UI event JSON>\` per event, for @ag-ui/client's HttpAgent and CopilotKit.
\`threadId\` is the Aura sessionId. Each POST is one AG-UI run: RUN_STARTED, the run's events mapped (plan_step → STEP_*, thought → REASONING_*,
content → TEXT_MESSAGE_*, tool_execution → TOOL_CALL_* and TOOL_CALL_RESULT), up to the next pause — the pending calls' TOOL_CALL_*,
STATE_SNAPSHOT, MESSAGES_SNAPSHOT, RUN_FINISHED {outcome: {type: "interrupt", interrupts}} with one interrupt per pending request (id = requestId) —
or the end: RUN_FINISHED success (completed, rejected, expired), RUN_FINISHED {outcome: {type: "cancelled"}}, RUN_ERROR {message, code} (failed).
A new thread needs a user message (its text is the prompt). A POST with resume[] answering every open interrupt decides them as
POST /aura/hitl/approve|reject do, then streams the continuation. A POST on a running thread attaches. RUN_ERROR codes: stale_resume
(an interrupt that is not open), pending_interrupts (new input, or a resume that leaves an interrupt unanswered), unavailable (the instance
shut down: POST again). Closing the response never stops the run.`;

@ApiTags('agui')
@ApiAuthed()
@Controller('aura')
export class AguiController {
  constructor(
    private readonly agui: AguiService,
    private readonly drain: DrainState,
    private readonly slots: StreamSlots,
  ) {}

  @Sse('agui', { method: RequestMethod.POST })
  @HttpCode(200)
  @ApiOperation({ summary: 'AG-UI: run, watch and steer an agent run with an AG-UI client (RunAgentInput in, AG-UI events out)', description: AGUI_DESCRIPTION })
  @ApiBody({ type: RunAgentInputDto })
  @ApiOkResponse({
    description: 'text/event-stream of AG-UI events (each `data` one event as @ag-ui/core 1.0 defines it)',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 1\ndata: {"type":"RUN_STARTED","threadId":"thread-1","runId":"run-1"}\n\n' } } },
  })
  @ApiForbiddenResponse({ description: 'Tenant ID mismatch; or, for a resume, the caller may not decide (HITL_APPROVER_ROLE, or HITL_SELF_APPROVAL=false for the run’s own user). Nothing is decided.' })
  @ApiNotFoundResponse({ description: 'The thread belongs to another tenant (or, with RUN_ACCESS=owner, to another user)' })
  @ApiConflictResponse({ description: 'New input on a thread whose run has ended: a thread is one run' })
  @ApiTooManyRequestsResponse({
    description: 'Starting the thread’s run would go beyond MAX_ACTIVE_RUNS_PER_USER or MAX_ACTIVE_RUNS_PER_TENANT, or the caller already has MAX_STREAMS_PER_USER open streams on this instance',
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', example: RUN_LIMIT_RETRY_AFTER_SECONDS } } },
  })
  async run(@CurrentUser() user: AuthUser, @Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<Observable<MessageEvent>> {
    if (this.drain.draining) throw new ServiceUnavailableException('This instance is shutting down; POST again');
    const input = parseRunAgentInput(body);
    // An AG-UI response is a stream like the stream route's: it counts against MAX_STREAMS_PER_USER.
    const release = this.slots.acquire(user);
    try {
      const stream = await this.agui.run(user, input, res, release);
      res.setHeader('X-Session-ID', input.threadId);
      return stream;
    } catch (err) {
      release();
      throw err;
    }
  }
}
