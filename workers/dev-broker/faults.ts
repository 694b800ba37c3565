/**
 * Fault injection: the realistic ways a RocketMQ deployment produces duplicates, switchable at
 * run time by the admin API and CLI flags.
 *  - dropped acks: the broker never applies the ack and answers "receipt handle is expired", as
 *    for an ack that came too late, so the message comes back after its invisible duration (a
 *    late or lost ack in real life);
 *  - v4 mode: queues are spread across clients, and a queue that moves replays what was acked on
 *    it in the last replayWindowS (a RocketMQ 4 consumer whose offset was not committed yet).
 */
export class Faults {
  constructor(
    public dropAckRatio: number,
    public v4Mode: boolean,
    public replayWindowS: number,
    private readonly random: () => number = Math.random,
  ) {}

  setDropAckRatio(ratio: number): void {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError("dropAckRatio must be within 0..1");
    this.dropAckRatio = ratio;
  }

  setV4Mode(on: boolean): void {
    this.v4Mode = on;
  }

  setReplayWindowS(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError("replayWindowS must be >= 0");
    this.replayWindowS = seconds;
  }

  /** Decide whether this ack is lost. */
  shouldDropAck(): boolean {
    return this.dropAckRatio > 0 && this.random() < this.dropAckRatio;
  }
}
