import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConsoleController } from './console.controller';
import { RootController } from './root.controller';

@Module({ imports: [AuthModule], controllers: [ConsoleController, RootController] })
export class ConsoleModule {}
