import { Module } from '@nestjs/common';
import { HitlModule } from '../hitl/hitl.module';
import { RunsModule } from '../runs/runs.module';
import { StreamModule } from '../stream/stream.module';
import { AguiController } from './agui.controller';
import { AguiService } from './agui.service';

/** POST /aura/agui: the AG-UI protocol over the runs, streams and decisions of the other modules. */
@Module({ imports: [RunsModule, StreamModule, HitlModule], controllers: [AguiController], providers: [AguiService] })
export class AguiModule {}
