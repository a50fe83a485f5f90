import type { LanguageModelV3FunctionTool, LanguageModelV3Message, LanguageModelV3Prompt, LanguageModelV3ToolResultPart } from '@ai-sdk/provider';
import type { ModelMessage } from 'ai';
import { AgentFailure } from '../../runs/agent/agent.port';
import type { ToolParametersSchema } from '../tools/tool';

const unreadable = (what: string) => new AgentFailure('agent_state_invalid', `The stored conversation holds ${what}, which this agent never writes`);

/**
 * The stored conversation (the AI SDK's ModelMessage, as this agent writes it: text from the user,
 * text and tool calls from the model, tool results) in the provider's own prompt format, so a turn
 * goes straight to the provider's stream without the SDK's per-chunk pipeline on top.
 */
export function toProviderPrompt(system: string, messages: ModelMessage[]): LanguageModelV3Prompt {
  return [{ role: 'system', content: system }, ...messages.map(toProviderMessage)];
}

function toProviderMessage(m: ModelMessage): LanguageModelV3Message {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.content };
    case 'user':
      if (typeof m.content === 'string') return { role: 'user', content: [{ type: 'text', text: m.content }] };
      return {
        role: 'user',
        content: m.content.map((p) => {
          if (p.type !== 'text') throw unreadable(`a user ${p.type} part`);
          return { type: 'text', text: p.text };
        }),
      };
    case 'assistant':
      if (typeof m.content === 'string') return { role: 'assistant', content: [{ type: 'text', text: m.content }] };
      return {
        role: 'assistant',
        content: m.content.map((p) => {
          if (p.type === 'text') return { type: 'text', text: p.text };
          if (p.type === 'tool-call') return { type: 'tool-call', toolCallId: p.toolCallId, toolName: p.toolName, input: p.input };
          throw unreadable(`an assistant ${p.type} part`);
        }),
      };
    case 'tool':
      return {
        role: 'tool',
        content: m.content.map((p) => {
          if (p.type !== 'tool-result') throw unreadable(`a tool ${p.type} part`);
          // The agent writes json and error outputs only, which both formats spell the same.
          return { type: 'tool-result', toolCallId: p.toolCallId, toolName: p.toolName, output: p.output as LanguageModelV3ToolResultPart['output'] };
        }),
      };
  }
}

/** A tool as the provider sends it to the model: its name, description and JSON Schema, as they are. */
export function toProviderTool(t: { name: string; description: string; parameters: ToolParametersSchema }): LanguageModelV3FunctionTool {
  return { type: 'function', name: t.name, description: t.description, inputSchema: t.parameters as LanguageModelV3FunctionTool['inputSchema'] };
}
