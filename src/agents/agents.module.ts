import { Global, Module } from '@nestjs/common';
import { Agent } from '../runs/agent/agent.port';
import { DemoAgent } from './demo/demo-agent';

/** The agent behind every run, chosen here: the runs feature knows only the port. */
@Global()
@Module({ providers: [{ provide: Agent, useClass: DemoAgent }], exports: [Agent] })
export class AgentsModule {}
