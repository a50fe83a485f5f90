import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RunsModule } from '../runs/runs.module';
import { StreamController } from './stream.controller';
import { StreamService } from './stream.service';

@Module({ imports: [RunsModule, AuthModule], controllers: [StreamController], providers: [StreamService] })
export class StreamModule {}
