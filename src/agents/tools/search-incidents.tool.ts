import { Injectable } from '@nestjs/common';
import { AgentTool, ToolInputError, ToolParametersSchema, optionalString } from './tool';

export type IncidentState = 'open' | 'resolved';

export interface Incident {
  id: string;
  title: string;
  state: IncidentState;
  priority: 'P1' | 'P2' | 'P3';
  owner: string;
}

const STATES: readonly IncidentState[] = ['open', 'resolved'];
const MAX_LIMIT = 20;
const DEFAULT_LIMIT = 5;

/** Fixed sample data: the same question always gets the same answer, so runs and tests repeat. */
export const SAMPLE_INCIDENTS: readonly Incident[] = [
  { id: 'INC-101', title: 'Checkout latency above SLO', state: 'open', priority: 'P1', owner: 'owner@example.com' },
  { id: 'INC-104', title: 'Stale cache after deploy', state: 'resolved', priority: 'P3', owner: 'ops@example.com' },
  { id: 'INC-107', title: 'Payment webhook retries exhausted', state: 'open', priority: 'P2', owner: 'owner@example.com' },
  { id: 'INC-109', title: 'Disk pressure on worker nodes', state: 'resolved', priority: 'P2', owner: 'ops@example.com' },
  { id: 'INC-112', title: 'Login errors for SSO tenants', state: 'open', priority: 'P2', owner: 'owner@example.com' },
];

@Injectable()
export class SearchIncidentsTool extends AgentTool {
  readonly name = 'search_incidents';
  readonly description = 'Search the incident tracker. Returns incidents with id, title, state, priority and owner.';
  readonly parameters: ToolParametersSchema = {
    type: 'object',
    properties: {
      state: { type: 'string', enum: [...STATES], description: 'Only incidents in this state; all states if omitted.' },
      limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, description: `At most this many incidents (default ${DEFAULT_LIMIT}).` },
    },
    additionalProperties: false,
  };

  async run(params: Record<string, unknown>): Promise<{ count: number; incidents: Incident[] }> {
    const state = optionalString(params, 'state');
    if (state !== undefined && !STATES.includes(state as IncidentState)) {
      throw new ToolInputError(`state must be one of ${STATES.join(', ')}`);
    }
    const limit = params.limit ?? DEFAULT_LIMIT;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ToolInputError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
    const incidents = SAMPLE_INCIDENTS.filter((i) => state === undefined || i.state === state).slice(0, limit);
    return { count: incidents.length, incidents };
  }
}
