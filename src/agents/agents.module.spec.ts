import { Test } from '@nestjs/testing';
import { AgentsModule } from './agents.module';
import { OPENAI_AGENT_OPTIONS, OpenAiAgent, OpenAiAgentOptions } from './openai/openai-agent';
import { SendEmailTool } from './tools/send-email.tool';

describe('AgentsModule.withOpenAi', () => {
  it('builds the OpenAI agent from the options the caller provides, sharing the tool instances', async () => {
    const options: OpenAiAgentOptions = { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', timeoutMs: 1000, hitlTools: ['send_email'] };
    const mod = await Test.createTestingModule({ imports: [AgentsModule.withOpenAi({ useFactory: () => options })] }).compile();
    expect(mod.get(OpenAiAgent)).toBeInstanceOf(OpenAiAgent);
    expect(mod.get(OPENAI_AGENT_OPTIONS)).toBe(options);
    expect(mod.get(SendEmailTool).outbox).toEqual([]);
  });
});
