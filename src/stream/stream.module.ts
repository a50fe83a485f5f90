import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RunsModule } from '../runs/runs.module';
import { StreamController } from './stream.controller';
import { StreamService } from './stream.service';
import { StreamSlots } from './stream-slots';

@Module({ imports: [RunsModule, AuthModule], controllers: [StreamController], providers: [StreamService, StreamSlots], exports: [StreamService, StreamSlots] })
export class StreamModule {}
