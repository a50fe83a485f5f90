import { Module } from '@nestjs/common';
import { HitlSignalService } from './hitl-signal.service';
import { HitlController } from './hitl.controller';
import { HitlService } from './hitl.service';

@Module({ controllers: [HitlController], providers: [HitlService, HitlSignalService], exports: [HitlSignalService] })
export class HitlModule {}
