export interface StoreStatus {
  up: boolean;
  mode: 'redis' | 'in-process';
  message?: string;
}

/** Whether the store behind every feature can be reached (readiness). */
export abstract class StoreHealth {
  abstract check(): Promise<StoreStatus>;
}
