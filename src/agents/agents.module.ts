import { Global, Module, Type } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InstanceId } from '../redis/instance-id';
import { Agent } from '../runs/agent/agent.port';
import { RemoteAgent } from '../worker/remote-agent';
import { WorkerStore } from '../worker/persistence/worker-store.port';
import { DemoAgent } from './demo/demo-agent';
import { OPENAI_AGENT_OPTIONS, OpenAiAgent, OpenAiAgentOptions } from './openai/openai-agent';
import { SearchIncidentsTool } from './tools/search-incidents.tool';
import { SendEmailTool } from './tools/send-email.tool';
import { AGENT_TOOLS, AgentTool } from './tools/tool';
import { ToolRegistry } from './tools/tool-registry';

/** Every tool the agents may offer: add a tool here and nowhere else. */
const TOOLS: Type<AgentTool>[] = [SearchIncidentsTool, SendEmailTool];

const openAiOptions = (config: AppConfig): OpenAiAgentOptions => ({
  baseUrl: config.agent.llm.baseUrl,
  model: config.agent.llm.model,
  apiKey: config.agent.llm.apiKey ?? undefined,
  timeoutMs: config.agent.llm.timeoutMs,
  callTimeoutMs: config.agent.llm.callTimeoutMs,
  maxTokens: config.agent.llm.maxTokens,
  bounds: config.agent.llm.bounds,
  hitlTools: [...config.agent.hitlTools],
});

/**
 * The agent behind every run, chosen from AGENT: the runs feature knows only the port. The tools
 * are Nest providers gathered under one token (Nest has no multi-providers).
 */
@Global()
@Module({
  providers: [
    ...TOOLS,
    { provide: AGENT_TOOLS, useFactory: (...tools: AgentTool[]) => tools, inject: TOOLS },
    ToolRegistry,
    DemoAgent,
    { provide: OPENAI_AGENT_OPTIONS, inject: [AppConfig], useFactory: openAiOptions },
    {
      provide: Agent,
      inject: [AppConfig, DemoAgent, OPENAI_AGENT_OPTIONS, ToolRegistry, WorkerStore, InstanceId],
      useFactory: (config: AppConfig, demo: DemoAgent, options: OpenAiAgentOptions, tools: ToolRegistry, workers: WorkerStore, instance: InstanceId): Agent => {
        if (config.agent.kind === 'openai') return new OpenAiAgent(options, tools);
        // AGENT=worker: runs are handed to external workers (src/worker) instead of stepped here.
        if (config.agent.kind === 'worker') return new RemoteAgent(workers, instance);
        return demo;
      },
    },
  ],
  exports: [Agent, ToolRegistry, ...TOOLS],
})
export class AgentsModule {}
