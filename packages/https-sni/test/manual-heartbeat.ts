/** A heartbeat the test ticks by hand (the server's is a 1 s unref'd interval). */
import type { Heartbeat, HeartbeatHandler } from "@x/abstractions";

export class ManualHeartbeat implements Heartbeat {
  now = 1_000_000;
  readonly handlers = new Set<HeartbeatHandler>();
  add(handler: HeartbeatHandler): void {
    this.handlers.add(handler);
  }
  remove(handler: HeartbeatHandler): void {
    this.handlers.delete(handler);
  }
  tick(ms: number): void {
    this.now += ms;
    for (const handler of [...this.handlers]) handler.onHeartbeat(this.now);
  }
}
