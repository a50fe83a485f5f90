import { Module } from '@nestjs/common';
import { ExpirySweep } from './expiry-sweep.service';
import { HitlSignalService } from './hitl-signal.service';
import { HitlController } from './hitl.controller';
import { HitlService } from './hitl.service';

@Module({ controllers: [HitlController], providers: [HitlService, HitlSignalService, ExpirySweep], exports: [HitlService, HitlSignalService] })
export class HitlModule {}
