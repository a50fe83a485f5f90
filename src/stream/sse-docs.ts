/** The OpenAPI description of the stream's events: one schema per `data`, in the contract's words. */
export const SSE_DESCRIPTION = `Server-sent events of one agent run. Every event is

    event: <type>
    id: <seq>
    data: {"type":"<type>","data":{...}}

\`seq\` counts from 1 within the session. Comments \`: connected\` (at once) and \`: ping\` (every SSE_HEARTBEAT_SECONDS) keep
gateways from cutting a run that waits for a human. The run ends with exactly one \`done\`, then the response closes.
Reconnect with the same \`sessionId\` and \`Last-Event-ID\` to continue without gap or duplicate.
On shutdown an instance sends \`retry: <ms>\` and closes without \`done\`: reconnect.
A finished run opened with a Last-Event-ID at or after its \`done\` answers 204 (an EventSource stops reconnecting).
A run that fails ends with \`run_error\` {code, message} then \`done\` {status: failed}; \`run_lost\` means its stored state disappeared.
With \`deltas=true\`, streamed text arrives as \`content\` events with \`delta: true\` (other streams skip their ids).`;

const str = { type: 'string' } as const;
export const SSE_EVENT_SCHEMAS = {
  thought: { type: 'object', required: ['content'], properties: { content: str } },
  plan_step: {
    type: 'object',
    required: ['id', 'status'],
    properties: { id: str, title: str, status: { type: 'string', enum: ['pending', 'in_progress', 'completed', 'failed', 'cancelled'] } },
  },
  tool_execution: {
    type: 'object',
    required: ['id', 'toolName', 'status'],
    properties: {
      id: str,
      toolName: str,
      status: { type: 'string', enum: ['started', 'completed', 'failed', 'cancelled'] },
      params: { type: 'object', additionalProperties: true },
      result: {},
      error: str,
    },
  },
  hitl: {
    oneOf: [
      {
        title: 'request',
        type: 'object',
        required: ['requestId', 'sessionId', 'requiresApproval', 'toolName', 'params', 'message', 'expiresAt'],
        properties: {
          requestId: str,
          sessionId: str,
          requiresApproval: { type: 'boolean', enum: [true] },
          toolName: str,
          params: { type: 'object', additionalProperties: true },
          message: str,
          expiresAt: { type: 'string', format: 'date-time' },
        },
      },
      {
        title: 'decision',
        type: 'object',
        required: ['requestId', 'sessionId', 'requiresApproval', 'status'],
        properties: {
          requestId: str,
          sessionId: str,
          requiresApproval: { type: 'boolean', enum: [false] },
          status: { type: 'string', enum: ['approved', 'rejected', 'expired', 'cancelled'] },
          reason: str,
        },
      },
    ],
  },
  content: {
    type: 'object',
    required: ['content'],
    properties: {
      content: str,
      messageId: str,
      delta: { type: 'boolean', enum: [true], description: 'A chunk of streamed text (only to streams opened with deltas=true); the complete message follows as one thought or content without delta, same messageId' },
    },
  },
  run_error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', example: 'agent_failed' }, message: str } },
  done: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['completed', 'rejected', 'expired', 'cancelled', 'failed'] } } },
} as const;
