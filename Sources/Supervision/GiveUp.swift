// How a supervisor ends when its children fail faster than its restart intensity allows,
// the same for `Supervisor` and `DynamicSupervisor`: it stops every child, then exits with
// an orderly `shutdown` carrying a detail, so the failure escalates to its own supervisor
// (a transient parent does not restart it; a permanent one does, within its own budget).
import Actors
import GenServer

extension Supervisor {
  /// The detail of the `shutdown` a supervisor exits with when its restart intensity is
  /// exceeded, which tells it from a requested shutdown.
  public static let gaveUp = "reached_max_restart_intensity"
}

extension ExitReason {
  /// A supervisor's exit reason when its restart intensity is exceeded.
  static var restartIntensityReached: ExitReason { .shutdownWith(Supervisor.gaveUp) }
}
