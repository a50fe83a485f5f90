import { DynamicModule, FactoryProvider, Module, ModuleMetadata, Type } from '@nestjs/common';
import { OPENAI_AGENT_OPTIONS, OpenAiAgent, OpenAiAgentOptions } from './openai/openai-agent';
import { SearchIncidentsTool } from './tools/search-incidents.tool';
import { SendEmailTool } from './tools/send-email.tool';
import { AGENT_TOOLS, AgentTool } from './tools/tool';
import { ToolRegistry } from './tools/tool-registry';

/** Every tool the agents may offer: add a tool here and nowhere else. */
const TOOLS: Type<AgentTool>[] = [SearchIncidentsTool, SendEmailTool];

const TOOL_PROVIDERS = [
  ...TOOLS,
  // Nest has no multi-providers: one factory gathers the tool instances under one token.
  { provide: AGENT_TOOLS, useFactory: (...tools: AgentTool[]) => tools, inject: TOOLS },
  ToolRegistry,
];

export interface OpenAiAgentModuleOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...deps: never[]) => OpenAiAgentOptions | Promise<OpenAiAgentOptions>;
  inject?: FactoryProvider['inject'];
}

/** The tools and their registry. Which Agent a run uses is the engine's choice, not this module's. */
@Module({ providers: TOOL_PROVIDERS, exports: [...TOOLS, ToolRegistry] })
export class AgentsModule {
  /** Adds OpenAiAgent, with options the caller builds (from validated config: this module reads none). */
  static withOpenAi(options: OpenAiAgentModuleOptions): DynamicModule {
    return {
      module: AgentsModule,
      imports: options.imports ?? [],
      providers: [
        ...TOOL_PROVIDERS,
        { provide: OPENAI_AGENT_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        OpenAiAgent,
      ],
      exports: [...TOOLS, ToolRegistry, OpenAiAgent],
    };
  }
}
