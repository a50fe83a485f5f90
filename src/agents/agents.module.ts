import { Module, Type } from '@nestjs/common';
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

/** The tools and their registry. Which Agent a run uses is the engine's choice, not this module's. */
@Module({ providers: TOOL_PROVIDERS, exports: [...TOOLS, ToolRegistry] })
export class AgentsModule {}
