#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace hubcast::core {

/// The mailboxes of a node's shards together (for /metrics).
struct mailbox_totals {
    std::size_t dropped_tasks = 0;     ///< fan-out tasks refused by a full budget
    std::size_t dropped_bytes = 0;     ///< their weight
    std::size_t queued_bytes = 0;      ///< weight queued or running now, all shards
    std::size_t peak_queued_bytes = 0; ///< the most any one shard has held
};

/// Bounded multi-producer, single-consumer task queue of one shard, bounded in bytes. A push onto
/// an empty queue calls the wake-up once; the owning worker then drains everything queued in one
/// go, so a burst of cross-worker sends costs one wake-up, not one per task (design section 3).
///
/// Each task carries a weight: the bytes it keeps alive (for a fan-out, its prepared message) plus
/// task_overhead. Two kinds of task differ in what a full queue does with them:
/// - offer(): a fan-out of a data message. Refused, and counted in dropped() / dropped_bytes(),
///   when it would take the queued bytes past the budget: delivery is at most once (as Azure's),
///   and a backlog that outgrows its worker must cost drops, not the host's memory.
/// - post(): a control task (close, membership, permission, listing). Always accepted, and its
///   weight counts towards the budget that fan-outs see: dropping one would break a promise
///   already made to the caller (REST answered, or answers once the change is applied), and each
///   is a few names from one authenticated REST request, never a payload.
/// The bytes of a drained batch stay counted until its tasks have run and been destroyed, so the
/// budget bounds what the queue keeps alive, not only what waits.
///
/// Threading: offer(), post() and the counters are thread-safe; set_wake() must happen before the
/// first push; drain() runs on the owning thread only and is not re-entrant (a task must not call
/// drain()). Tasks must not throw. The wake-up is called outside the lock, on the pushing thread.
class mailbox {
public:
    using task = std::function<void()>;

    /// 64 MiB per shard: about 50,000 queued 1 KiB messages or 32 at the 1 MiB message limit,
    /// many times what a healthy worker drains per turn, while a worker that falls behind costs
    /// at most this much memory (then drops) instead of the gigabytes a count bound allowed.
    static constexpr std::size_t default_max_bytes = std::size_t{64} << 20;
    /// What a queued task costs besides the bytes it names: the std::function and its captures,
    /// the shared fan-out record and control blocks (measured near 200 bytes; rounded up).
    static constexpr std::size_t task_overhead = 256;

    explicit mailbox(std::size_t max_bytes = default_max_bytes) : max_bytes_(max_bytes) {}

    /// Installs the wake-up (e.g. "post a drain onto this worker's event loop"). Call before use.
    void set_wake(std::function<void()> wake);
    /// A fan-out task keeping `bytes` alive. Thread-safe. Returns false, dropping and counting the
    /// task, when its weight would take the queued bytes past the budget; an empty mailbox takes
    /// any one task (the queued bytes stay within max(budget, the heaviest task)).
    bool offer(task t, std::size_t bytes);
    /// A control task keeping `bytes` alive. Thread-safe. Always accepted (see the class comment).
    void post(task t, std::size_t bytes = 0);
    /// Runs every queued task on the calling (owning) thread. Returns how many ran. Tasks pushed
    /// while it runs wait for the next drain (and their push wakes the owner again).
    std::size_t drain();

    std::size_t max_bytes() const noexcept { return max_bytes_; }
    /// Fan-out tasks refused because the budget was full, and their weight.
    std::size_t dropped() const;
    std::size_t dropped_bytes() const;
    /// Tasks accepted since construction (a metric, and how tests see where work was posted).
    std::size_t accepted() const;
    /// The weight of the tasks queued or running now, and the most it has been.
    std::size_t queued_bytes() const;
    std::size_t peak_queued_bytes() const;
    /// Weight of the tasks the last drain() ran (owning thread only): how big a backlog it cleared.
    std::size_t last_drain_bytes() const noexcept { return last_drain_bytes_; }

private:
    struct entry {
        task run;
        std::size_t weight;
    };
    void admit(entry e); // with mutex_ held; the caller wakes

    std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::vector<entry> queue_;         // guarded by mutex_
    std::vector<entry> draining_;      // touched only by the owner, outside the lock
    std::function<void()> wake_;       // written before the first push, then only read
    std::size_t queued_bytes_ = 0;     // guarded by mutex_: queue_ and the batch draining now
    std::size_t peak_bytes_ = 0;       // guarded by mutex_
    std::size_t dropped_ = 0;          // guarded by mutex_
    std::size_t dropped_bytes_ = 0;    // guarded by mutex_
    std::size_t accepted_ = 0;         // guarded by mutex_
    std::size_t last_drain_bytes_ = 0; // owner only
};

} // namespace hubcast::core
