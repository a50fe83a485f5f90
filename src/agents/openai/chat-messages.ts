import type { ChatCompletionFunctionTool, ChatCompletionMessageParam, ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { AgentFailure } from '../../runs/agent/agent.port';
import type { ToolParametersSchema } from '../tools/tool';
import type { ConversationMessage, TextPart, ToolResultPart } from './conversation';

const unreadable = (what: string) => new AgentFailure('agent_state_invalid', `The stored conversation holds ${what}, which this agent never writes`);

/**
 * The stored conversation in Chat Completions wire messages: the system prompt first, then the
 * user's text, the model's turns (text and tool calls) and one `tool` message per tool result.
 */
export function toChatMessages(system: string, messages: ConversationMessage[]): ChatCompletionMessageParam[] {
  return [{ role: 'system', content: system }, ...messages.flatMap(toChatMessage)];
}

function toChatMessage(m: ConversationMessage): ChatCompletionMessageParam[] {
  switch (m.role) {
    case 'system':
      return [{ role: 'system', content: m.content }];
    case 'user':
      return [{ role: 'user', content: typeof m.content === 'string' ? m.content : joinText(m.content, 'user') }];
    case 'assistant': {
      if (typeof m.content === 'string') return [{ role: 'assistant', content: m.content }];
      const text = joinText(m.content.filter((p): p is TextPart => p.type === 'text'), 'assistant');
      const calls: ChatCompletionMessageToolCall[] = [];
      for (const p of m.content) {
        if (p.type === 'tool-call') calls.push({ id: p.toolCallId, type: 'function', function: { name: p.toolName, arguments: JSON.stringify(p.input) } });
        else if (p.type !== 'text') throw unreadable(`an assistant ${(p as { type: string }).type} part`);
      }
      // "" rather than null beside tool calls with no text: Ollama refuses null content (400), and
      // OpenAI, vLLM and the others take "" (the AI SDK sent it too).
      return [{ role: 'assistant', content: text, ...(calls.length ? { tool_calls: calls } : {}) }];
    }
    case 'tool':
      return m.content.map((p) => ({ role: 'tool' as const, tool_call_id: p.toolCallId, content: toolResultText(p) }));
    default:
      throw unreadable(`a ${(m as { role: string }).role} message`);
  }
}

function joinText(parts: TextPart[], role: string): string {
  return parts
    .map((p) => {
      if (p.type !== 'text') throw unreadable(`a ${role} ${(p as { type: string }).type} part`);
      return p.text;
    })
    .join('');
}

function toolResultText(p: ToolResultPart): string {
  if (p.type !== 'tool-result') throw unreadable(`a tool ${(p as { type: string }).type} part`);
  return p.output.type === 'error-text' ? p.output.value : JSON.stringify(p.output.value);
}

/** A tool as the model is offered it: its name, description and JSON Schema, as they are. */
export function toChatTool(t: { name: string; description: string; parameters: ToolParametersSchema }): ChatCompletionFunctionTool {
  return { type: 'function', function: { name: t.name, description: t.description, parameters: { ...t.parameters } } };
}
