import { Test } from '@nestjs/testing';
import { WorkerStubs } from '../../../test/support/worker-stubs';
import { ConfigModule } from '../../config/config.module';
import { loadAppConfig } from '../../config/load-config';
import { AgentsModule } from '../agents.module';
import type { AgentRun } from '../../runs/agent/agent.port';
import { SearchIncidentsTool } from './search-incidents.tool';
import { SendEmailTool } from './send-email.tool';
import { ToolContext } from './tool';
import { ToolRegistry } from './tool-registry';

const run: AgentRun = { sessionId: 's-1', tenantId: 't-1', userId: 'u-1', prompt: 'p', metadata: {} };
const ctx = (callId: string, sessionId = run.sessionId): ToolContext => ({ run: { ...run, sessionId }, callId, idempotencyKey: `${sessionId}:${callId}`, signal: new AbortController().signal });

describe('agent tools', () => {
  it('are collected in one registry by the module, by name', async () => {
    const mod = await Test.createTestingModule({ imports: [ConfigModule.forRoot(loadAppConfig({ JWT_SECRET: 'x' })), WorkerStubs, AgentsModule] }).compile();
    const registry = mod.get(ToolRegistry);
    expect(registry.list().map((t) => t.name).sort()).toEqual(['search_incidents', 'send_email']);
    expect(registry.get('send_email')).toBe(mod.get(SendEmailTool));
    expect(registry.get('nope')).toBeUndefined();
  });

  it('refuse two tools under one name', () => {
    expect(() => new ToolRegistry([new SendEmailTool(), new SendEmailTool()])).toThrow(/send_email/);
  });

  it('search_incidents answers the same sample every time, filtered and limited', async () => {
    const tool = new SearchIncidentsTool();
    const open = await tool.run({ state: 'open', limit: 2 });
    expect(open).toEqual(await tool.run({ state: 'open', limit: 2 }));
    expect(open.count).toBe(2);
    expect(open.incidents.map((i) => i.id)).toEqual(['INC-101', 'INC-107']);
    expect((await tool.run({})).count).toBe(5);
    await expect(tool.run({ state: 'lost' })).rejects.toThrow(/state must be one of/);
    await expect(tool.run({ limit: 0 })).rejects.toThrow(/limit/);
  });

  it('send_email records each mail once per idempotency key, even when the call is repeated', async () => {
    const tool = new SendEmailTool();
    const mail = { to: 'owner@example.com', subject: 'Hi', body: 'Body' };
    expect(await tool.run(mail, ctx('tool-1-1'))).toEqual({ messageId: 'mail-1' });
    expect(await tool.run(mail, ctx('tool-1-1'))).toEqual({ messageId: 'mail-1' });
    expect(await tool.run(mail, ctx('tool-2-1'))).toEqual({ messageId: 'mail-2' });
    // The same call id in another run is another call.
    expect(await tool.run(mail, ctx('tool-1-1', 's-2'))).toEqual({ messageId: 'mail-3' });
    expect(tool.outbox.map((m) => [m.messageId, m.to, m.idempotencyKey])).toEqual([
      ['mail-1', 'owner@example.com', 's-1:tool-1-1'],
      ['mail-2', 'owner@example.com', 's-1:tool-2-1'],
      ['mail-3', 'owner@example.com', 's-2:tool-1-1'],
    ]);
    await expect(tool.run({ ...mail, to: 'nobody' }, ctx('c3'))).rejects.toThrow(/email address/);
    await expect(tool.run({ to: 'a@b.co', subject: 'x' }, ctx('c4'))).rejects.toThrow(/body is required/);
  });
});
