/** The time, as rollout sees it. Tests set it to walk a rollout into its downtime window. */
import { Injectable } from '@nestjs/common';

@Injectable()
export class Clock {
  private fixed: Date | null = null;

  now(): Date {
    return this.fixed ?? new Date();
  }

  /** Fixes the time (null: real time again). */
  set(at: Date | null): void {
    this.fixed = at;
  }
}
