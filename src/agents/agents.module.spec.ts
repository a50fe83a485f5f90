import { Test } from '@nestjs/testing';
import { WorkerStubs } from '../../test/support/worker-stubs';
import { ConfigModule } from '../config/config.module';
import { loadAppConfig } from '../config/load-config';
import { Agent } from '../runs/agent/agent.port';
import { AgentsModule } from './agents.module';
import { DemoAgent } from './demo/demo-agent';
import { OpenAiAgent } from './openai/openai-agent';
import { SendEmailTool } from './tools/send-email.tool';

describe('AgentsModule', () => {
  const agentFor = async (env: Record<string, string>) => {
    const config = loadAppConfig({ JWT_SECRET: 'x', ...env });
    const mod = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), WorkerStubs, AgentsModule] }).compile();
    return { agent: mod.get(Agent), outbox: mod.get(SendEmailTool).outbox };
  };

  it('binds the demo agent by default', async () => {
    expect((await agentFor({})).agent).toBeInstanceOf(DemoAgent);
  });

  it('binds the OpenAI agent with AGENT=openai, with the shared tools', async () => {
    const { agent, outbox } = await agentFor({ AGENT: 'openai', LLM_BASE_URL: 'http://127.0.0.1:9/v1', LLM_MODEL: 'm' });
    expect(agent).toBeInstanceOf(OpenAiAgent);
    expect(outbox).toEqual([]);
  });
});
