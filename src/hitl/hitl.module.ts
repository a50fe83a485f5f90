import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ExpirySweep } from './expiry-sweep.service';
import { HitlSignalService } from './hitl-signal.service';
import { HitlController } from './hitl.controller';
import { HitlService } from './hitl.service';

@Module({ imports: [AuthModule], controllers: [HitlController], providers: [HitlService, HitlSignalService, ExpirySweep], exports: [HitlService, HitlSignalService] })
export class HitlModule {}
