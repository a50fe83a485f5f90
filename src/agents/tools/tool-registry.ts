import { Inject, Injectable } from '@nestjs/common';
import { AGENT_TOOLS, AgentTool } from './tool';

/** The tools the agent offers the model, by name. */
@Injectable()
export class ToolRegistry {
  private readonly byName = new Map<string, AgentTool>();

  constructor(@Inject(AGENT_TOOLS) tools: AgentTool[]) {
    for (const tool of tools) {
      // Two tools under one name would make the model's choice ambiguous: refuse at boot.
      if (this.byName.has(tool.name)) throw new Error(`Two tools are named ${tool.name}`);
      this.byName.set(tool.name, tool);
    }
  }

  get(name: string): AgentTool | undefined {
    return this.byName.get(name);
  }

  list(): AgentTool[] {
    return [...this.byName.values()];
  }
}
