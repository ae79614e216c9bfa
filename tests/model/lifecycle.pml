/*
 * lifecycle.pml -- a Promela model of the uvafd reactor's PinnedState lifecycle.
 *
 * Checked exhaustively by tests/model/run_spin.sh (see docs/model.md). The model follows the
 * C++ in backend/src/ closely; every block names the function it mirrors. What it abstracts:
 *   - one base SOCKET value, shared by every registration (so every poll state competes for
 *     the same base in BaseSocketIndex); the value may be closed and handed back for a new
 *     socket once;
 *   - NSLOT = 3 PinnedStates in the slab, a LIFO free list and a generation counter
 *     (StateSlab::acquire/release), shared by poll states and wakeup sources;
 *   - interest is two bits (READ = 1, WRITE = 2) so that widening it forces cancel + re-arm;
 *   - events, helpers, user_data, deferred errors and statistics are left out (they do not
 *     change any lifecycle or ownership decision);
 *   - each call the user makes on the reactor thread is one atomic step (the reactor is
 *     single-threaded); the kernel and the waker thread interleave with it freely.
 *
 * Processes:
 *   Reactor -- the reactor thread: the user's calls (poll_open, poll_set_interest,
 *              handle_close, wakeup_open; closesocket and socket() reusing the value), the
 *              pieces of wait() (flush_updates, reap_wake_zombies, dequeue + process), and
 *              close(): after teardown_started only closes are allowed until nothing is live,
 *              then the drain loop runs until no zombie is left.
 *   Kernel  -- AFD + the I/O manager: completes any request in flight, in any order, with
 *              readiness, STATUS_CANCELLED (only once a cancel was issued; a cancel may also
 *              "not take" and the request completes with readiness anyway) or LOCAL_CLOSE
 *              (once the socket it polls was closed), and queues the packet on `port`.
 *   Waker   -- another thread calling Reactor::wake() with the handle of a wakeup source
 *              (possibly a stale one), step by step on the atomic wake_word.
 *
 * The bounds below (how many times each call is made) are set per configuration by
 * run_spin.sh; the defaults are its "mixed" configuration.
 *
 * Properties (each assert names the property in its first operand, a hidden variable that is
 * always 0, so that spin's error message says which one failed):
 *   (a) PROP_A_packet_applied_to_its_incarnation
 *   (b) PROP_B_kernel_writes_only_owned_memory / PROP_B_no_reuse_while_kernel_holds
 *   (c) PROP_C_one_request_per_base_socket
 *   (d) PROP_D_transition_in_table
 *   (e) PROP_E_no_packet_misrouted        (the tests' `misrouted == 0`)
 *   (f) PROP_F_teardown_drained           (end of Reactor::close)
 *   LTL teardown_ends: [] (teardown_started -> <> drained), checked with weak fairness.
 *
 * Mutants (-DMUTANT_xxx), each a deliberate defect that must be caught:
 *   SKIP_GENERATION_CHECK        generations are compared nowhere on the packet path
 *   SKIP_GENERATION_CHECK_REACTOR_ONLY  only the reactor's two checks (the C++ fault switch);
 *                                an *equivalent* mutant: expected to survive (docs/model.md)
 *   FREE_ZOMBIE_EARLY            close_state reclaims a state with its request in flight
 *   SECOND_POLL                  update_one does not wait for the base socket's request
 *   WAKE_CLOSE_KEEPS_GENERATION  close_state leaves the generation in wake_word
 *   NO_REAP_WAKE_ZOMBIES         reap_wake_zombies never reclaims anything (liveness)
 */

/* ---- bounds (override with spin -D...) -------------------------------------------------- */
#define NSLOT 3                 /* PinnedStates in the slab; PICK() below is written for 3 */
#ifndef MAX_POLL_OPEN
#define MAX_POLL_OPEN 2         /* poll_open calls: incarnations on the one socket value */
#endif
#ifndef MAX_WAKE_OPEN
#define MAX_WAKE_OPEN 2         /* wakeup_open calls */
#endif
#ifndef MAX_SET
#define MAX_SET 2               /* poll_set_interest calls */
#endif
#ifndef MAX_WAKES
#define MAX_WAKES 2             /* wake() calls by the waker thread */
#endif
#ifndef MAX_POST_FAIL
#define MAX_POST_FAIL 1         /* NtSetIoCompletion failures */
#endif
#ifndef SOCKET_REUSE
#define SOCKET_REUSE 0          /* 1: the user may close the socket and get its value back */
#endif
#define NKREQ 3                 /* kernel request table (only mutants use more than one) */
#define PORTCAP 6               /* completion port queue: NKREQ + NSLOT never fills */
#define NONE 255

/* ---- the enums of backend/src/lifecycle.h, named <enum>_<enumerator> with the C++ values.
 * Not a copy to keep in step by hand: tests/model/check_names.py (ctest lifecycle_model_names,
 * and run_spin.sh before every run) fails when this set and the header's differ. ----------- */
#define Owner_Free    0
#define Owner_Live    1
#define Owner_Closed  2

#define Request_Idle       0
#define Request_Pending    1
#define Request_Cancelling 2

#define Lifecycle_Free          0
#define Lifecycle_Active        1
#define Lifecycle_CancelPending 2
#define Lifecycle_Zombie        3
#define Lifecycle_Dead          4
#define Lifecycle_Invalid       5

#define LifecycleEvent_Open           0
#define LifecycleEvent_CancelIssued   1
#define LifecycleEvent_KernelReleased 2
#define LifecycleEvent_Close          3
#define LifecycleEvent_Reclaim        4

#define K_POLL 0                /* StateKind */
#define K_WAKE 1

#define KEY_AFD  0              /* completion keys: kKeyAfd, kKeyWake */
#define KEY_WAKE 1

#define ST_SUCCESS     0        /* wake packet */
#define ST_READY       1        /* poll completed with events */
#define ST_CANCELLED   2        /* STATUS_CANCELLED */
#define ST_LOCAL_CLOSE 3        /* completed with AFD_POLL_LOCAL_CLOSE */

#define IS_LIVE(l) ((l) == Lifecycle_Active || (l) == Lifecycle_CancelPending)   /* lifecycle_is_live */
/* lifecycle_of: the lifecycle is derived from the two facts, never stored */
#define LIFECYCLE_OF(o, r) \
  ((o) == Owner_Free -> Lifecycle_Free : \
   ((o) == Owner_Live -> \
    ((r) == Request_Cancelling -> Lifecycle_CancelPending : Lifecycle_Active) : \
    ((r) == Request_Idle -> Lifecycle_Dead : Lifecycle_Zombie)))
#define LC(x) LIFECYCLE_OF(owner[x], request[x])   /* PinnedState::lifecycle() */
#define IN_FLIGHT(x) (request[x] != Request_Idle)  /* PinnedState::request_in_flight() */

/* ---- property names for assertion messages (never in the state vector) ----------------- */
hidden byte PROP_A_packet_applied_to_its_incarnation;
hidden byte PROP_B_kernel_writes_only_owned_memory;
hidden byte PROP_B_no_reuse_while_kernel_holds;
hidden byte PROP_C_one_request_per_base_socket;
hidden byte PROP_D_transition_in_table;
hidden byte PROP_E_no_packet_misrouted;
hidden byte PROP_F_teardown_drained;
hidden byte MODEL_lifecycle_table_has_13_entries;

/* ---- PinnedState fields (pinned_state.h), one array entry per slab slot ----------------- */
byte owner[NSLOT];         /* PinnedState::owner */
byte request[NSLOT];       /* PinnedState::request; a closed wakeup source's: packet to come */
byte gen[NSLOT];           /* generation */
bit  kind[NSLOT];
byte wake_word[NSLOT];     /* (generation << 1) | packet_queued; std::atomic in the C++ */
byte req_gen[NSLOT];       /* request_generation */
byte interest[NSLOT];
byte submitted[NSLOT];     /* submitted_mask */
bit  socket_gone[NSLOT];
bit  poll_failed[NSLOT];
bit  in_update[NSLOT];     /* in_update_queue (Reactor::updates_) */
bit  waiting[NSLOT];       /* waiting_for_base */
bit  wake_zombie[NSLOT];   /* membership of Reactor::wake_zombies_ */

/* ---- StateSlab (state_slab.cpp): LIFO free list, generations never repeat --------------- */
byte free_stk[NSLOT];
byte free_n;
byte next_gen = 1;

/* ---- The one base socket value's facts. The C++ derives them from the states filed under
 * the base (base_socket_index.h): e_in_flight = the one with request_pending, e_interested =
 * the one with claims_interest, e_regs = how many are filed, e_requests = how many have
 * request_pending. Kept as variables here, set and cleared at the same steps. ------------ */
byte e_in_flight = NONE;
byte e_interested = NONE;
byte e_regs;               /* registrations */
byte e_requests;           /* requests */

/* ---- Reactor counters (uvafd_stats) ----------------------------------------------------- */
byte live_states;
byte zombies;
byte requests_in_flight;

bit teardown_started;
bit teardown_done;

/* ---- the kernel: requests in flight (SimKernel::pending_) and the socket ---------------- */
bit  kr_used[NKREQ];
byte kr_slot[NKREQ];       /* which PinnedState's IO_STATUS_BLOCK / AFD_POLL_INFO */
byte kr_gen[NKREQ];        /* ghost: the generation that armed it */
byte kr_obj[NKREQ];        /* the socket object the base value named at submit */
bit  kr_cancel[NKREQ];     /* NtCancelIoFileEx was called for it */
byte k_nreq;               /* requests in flight on the base socket value */
byte sock_obj = 1;         /* which socket object the value names (1, then 2 after reuse) */
bit  sock_open = 1;

/* Ghost: how many kernel references name each slot (requests in flight, their queued
 * packets, wake packets being posted or queued). Memory with refs > 0 is the kernel's. */
byte refs[NSLOT];

/* The completion port: { key, ApcContext (slot), generation, status }. For a wake packet the
 * generation is the real Information word; for a poll packet it is a ghost for checking (a),
 * the reactor never reads it. */
chan port = [PORTCAP] of { byte, byte, byte, byte };

/* The wakeup handle the user hands to other threads (uvafd_handle {generation, slot}). */
byte pub_slot;
byte pub_gen;

/* Scratch for transition() (reset before leaving each atomic step). */
byte t_to, t_from, t_owner, t_req;

/* ---- mutant switches --------------------------------------------------------------------- */
#if defined(MUTANT_SKIP_GENERATION_CHECK)
#define POLL_GEN_MISMATCH(x)      false
#define WAKE_GEN_MISMATCH(x, g)   false
#define WAKER_REJECTS(w, g)       (((w) >> 1) == 0)  /* only "is it open?", not "is it mine?" */
#elif defined(MUTANT_SKIP_GENERATION_CHECK_REACTOR_ONLY)
#define POLL_GEN_MISMATCH(x)      false
#define WAKE_GEN_MISMATCH(x, g)   false
#define WAKER_REJECTS(w, g)       (((w) >> 1) != (g))
#else
#define POLL_GEN_MISMATCH(x)      (req_gen[x] != gen[x])
#define WAKE_GEN_MISMATCH(x, g)   ((g) != gen[x])
#define WAKER_REJECTS(w, g)       (((w) >> 1) != (g))
#endif

#ifdef MUTANT_SECOND_POLL
#define MUST_WAIT_FOR_BASE(x)     false
#else
#define MUST_WAIT_FOR_BASE(x)     (e_in_flight != NONE && e_in_flight != (x))
#endif

#ifdef MUTANT_WAKE_CLOSE_KEEPS_GENERATION
#define WORD_AFTER_CLOSE(w)       (w)
#else
#define WORD_AFTER_CLOSE(w)       ((w) & 1)
#endif

/* ---- helpers to pick a slot satisfying a condition (NSLOT == 3) ------------------------ */
#define PICK(x, c) \
  if \
  :: c(0) -> x = 0 \
  :: c(1) -> x = 1 \
  :: c(2) -> x = 2 \
  fi
#define LIVE_POLL(i)  (IS_LIVE(LC(i)) && kind[i] == K_POLL)
#define LIVE_WAKE(i)  (IS_LIVE(LC(i)) && kind[i] == K_WAKE)
#define CAN_SET(i)    (LIVE_POLL(i) && !socket_gone[i])   /* else poll_set_interest: EBADF */
#define ANY(c)        (c(0) || c(1) || c(2))
#define KR_USED(i)    (kr_used[i])
#define IN_UPDATE(i)  (in_update[i])

/* ========================================================================================= */
/* mirrors lifecycle_next() in backend/src/lifecycle.cpp, case by case                      */
inline lifecycle_next(from, ev, held, to) {
  to = Lifecycle_Invalid;
  if
  :: from == Lifecycle_Free ->
     if
     :: ev == LifecycleEvent_Open && !held -> to = Lifecycle_Active
     :: else -> skip
     fi
  :: from == Lifecycle_Active ->
     if
     :: ev == LifecycleEvent_CancelIssued && held -> to = Lifecycle_CancelPending
     :: ev == LifecycleEvent_KernelReleased -> to = Lifecycle_Active
     :: ev == LifecycleEvent_Close -> to = (held -> Lifecycle_Zombie : Lifecycle_Dead)
     :: else -> skip
     fi
  :: from == Lifecycle_CancelPending ->
     if
     :: ev == LifecycleEvent_KernelReleased && !held -> to = Lifecycle_Active
     :: ev == LifecycleEvent_Close -> to = (held -> Lifecycle_Zombie : Lifecycle_Dead)
     :: else -> skip
     fi
  :: from == Lifecycle_Zombie ->
     if
     :: ev == LifecycleEvent_CancelIssued && held -> to = Lifecycle_Zombie
     :: ev == LifecycleEvent_KernelReleased -> to = (held -> Lifecycle_Zombie : Lifecycle_Dead)
     :: else -> skip
     fi
  :: from == Lifecycle_Dead ->
     if
     :: ev == LifecycleEvent_Reclaim && !held -> to = Lifecycle_Free
     :: else -> skip
     fi
  :: else -> skip
  fi
}

/* lifecycle_next() evaluated once for every (from, event, held) by init and kept in a table,
 * so that the model's many transition sites stay small (spin inlines every call). */
#define LNEXT_INDEX(from, ev, held) (((from) * 5 + (ev)) * 2 + (held))
hidden byte lnext[60];

/* mirrors Reactor::transition: held = a request in flight or a wake packet queued, after the
 * event; a forbidden triple is property (d) (the C++ counts it in invalid_transitions), and so
 * is a derived lifecycle other than the table's (the C++ asserts it). */
inline transition(x, ev) {
  /* reg_state_after (lifecycle.cpp): what the event does to the two facts */
  t_from = LC(x);
  t_owner = owner[x];
  t_req = request[x];
  if
  :: ev == LifecycleEvent_Open -> t_owner = Owner_Live; t_req = Request_Idle
  :: ev == LifecycleEvent_CancelIssued && t_req != Request_Idle -> t_req = Request_Cancelling
  :: ev == LifecycleEvent_KernelReleased && !(wake_word[x] & 1) -> t_req = Request_Idle
  :: ev == LifecycleEvent_Close ->
     t_owner = Owner_Closed;
     if
     :: wake_word[x] & 1 -> t_req = Request_Pending
     :: else -> skip
     fi
  :: ev == LifecycleEvent_Reclaim -> t_owner = Owner_Free
  :: else -> skip
  fi;
  /* the checker: the table allows the step, and the derived lifecycle is the table's */
  t_to = lnext[LNEXT_INDEX(t_from, ev, (t_req != Request_Idle || (wake_word[x] & 1)))];
  assert(PROP_D_transition_in_table || t_to != Lifecycle_Invalid);
  assert(PROP_D_transition_in_table || LIFECYCLE_OF(t_owner, t_req) == t_to);
  if
  :: t_from == Lifecycle_Free -> live_states++
  :: t_to == Lifecycle_Free -> live_states--
  :: else -> skip
  fi;
  if
  :: t_to == Lifecycle_Zombie && t_from != Lifecycle_Zombie -> zombies++
  :: t_from == Lifecycle_Zombie && t_to != Lifecycle_Zombie -> zombies--
  :: else -> skip
  fi;
  owner[x] = t_owner;
  request[x] = t_req;
  t_to = 0; t_from = 0; t_owner = 0; t_req = 0
}

/* mirrors StateSlab::acquire: pop the free list, fresh generation */
inline acquire(x) {
  free_n--;
  x = free_stk[free_n];
  free_stk[free_n] = 0;
  gen[x] = next_gen;
  next_gen++
}

/* mirrors StateSlab::release: push on the free list */
inline release(x) {
  free_stk[free_n] = x;
  free_n++
}

/* mirrors Reactor::reclaim (Dead -> Free), which takes the state out of the index */
inline reclaim(x) {
  if
  :: kind[x] == K_POLL ->
     e_regs--;
     if
     :: e_regs == 0 && e_requests == 0 && !waiting[0] && !waiting[1] && !waiting[2] ->
        e_in_flight = NONE;   /* the entry is erased */
        e_interested = NONE
     :: else -> skip
     fi
  :: else -> skip
  fi;
  /* (b) nothing the kernel may still write, or a queued packet still names, is recycled */
  assert(PROP_B_no_reuse_while_kernel_holds || refs[x] == 0);
  transition(x, LifecycleEvent_Reclaim);
  interest[x] = 0;
  submitted[x] = 0;
  socket_gone[x] = 0;
  poll_failed[x] = 0;
  waiting[x] = 0;
  req_gen[x] = 0;     /* model only: not read again before the next submit sets it */
  if
  :: !in_update[x] -> release(x)
  :: else -> skip     /* flush_updates releases it */
  fi
}

/* mirrors Reactor::cancel: NtCancelIoFileEx(helper, &iosb) marks every request made with that
 * IO_STATUS_BLOCK; whatever it returns, the packet still comes (and only it frees memory). */
inline cancel(x) {
  for (ci : 0 .. NKREQ - 1) {
    if
    :: kr_used[ci] && kr_slot[ci] == x -> kr_cancel[ci] = 1
    :: else -> skip
    fi
  };
  ci = 0;
  if
  :: LC(x) == Lifecycle_Active || LC(x) == Lifecycle_Zombie -> transition(x, LifecycleEvent_CancelIssued)
  :: else -> skip
  fi
}

/* mirrors Reactor::submit, with the kernel's side of NtDeviceIoControlFile(IOCTL_AFD_POLL) */
inline submit(x) {
  request[x] = Request_Pending;  /* before the call: a ready socket completes inside it */
  if
  :: !sock_open ->
     /* the value names no socket: synchronous error, no packet, IOSB not written */
     request[x] = Request_Idle;
     poll_failed[x] = 1
  :: else ->
     /* kernel: accepts the request on the socket object the value names now */
     assert(PROP_C_one_request_per_base_socket || k_nreq == 0);
     if
     :: !kr_used[0] -> ki = 0
     :: kr_used[0] && !kr_used[1] -> ki = 1
     :: else -> ki = 2
     fi;
     kr_used[ki] = 1;
     kr_slot[ki] = x;
     kr_gen[ki] = gen[x];
     kr_obj[ki] = sock_obj;
     kr_cancel[ki] = 0;
     ki = 0;
     k_nreq++;
     refs[x]++;
     /* reactor: STATUS_PENDING (or SUCCESS, which still queues a packet) */
     req_gen[x] = gen[x];
     submitted[x] = interest[x];
     requests_in_flight++;
     e_requests++;
     e_in_flight = x
  fi
}

/* mirrors Reactor::update_one: one switch over the request */
inline update_one(x) {
  if
  :: owner[x] != Owner_Live || kind[x] != K_POLL || socket_gone[x] || poll_failed[x] -> skip
  :: else ->
     if
     :: request[x] == Request_Cancelling -> skip   /* re-armed when its packet comes back */
     :: request[x] == Request_Pending ->
        /* a pending poll that misses a wanted bit is cancelled, re-armed on its packet */
        if
        :: interest[x] != 0 && (interest[x] & ~submitted[x]) != 0 -> cancel(x)
        :: else -> skip
        fi
     :: request[x] == Request_Idle && interest[x] == 0 -> skip
     :: request[x] == Request_Idle && interest[x] != 0 ->
        if
        :: MUST_WAIT_FOR_BASE(x) ->
           /* one poll per base socket: ask the holder to let go, arm on its packet */
           h = e_in_flight;
           if
           :: request[h] == Request_Pending -> cancel(h)
           :: else -> skip
           fi;
           h = 0;
           waiting[x] = 1
        :: else -> submit(x)
        fi
     fi
  fi
}

/* mirrors Reactor::flush_updates; the queue's order is left to the model checker */
inline flush_one(x) {
  in_update[x] = 0;
  if
  :: LC(x) == Lifecycle_Free -> release(x)      /* reclaimed while queued */
  :: else -> update_one(x)
  fi
}

inline flush_updates() {
  do
  :: in_update[0] || in_update[1] || in_update[2] ->
     PICK(u, IN_UPDATE);
     flush_one(u)
  :: else -> break
  od;
  u = 0
}

/* mirrors Reactor::close_state for a poll registration */
inline close_poll(x) {
  if
  :: e_interested == x -> e_interested = NONE
  :: else -> skip
  fi;
  waiting[x] = 0;
  interest[x] = 0;
  if
  :: request[x] == Request_Pending -> cancel(x)   /* readiness could take forever */
  :: else -> skip
  fi;
  transition(x, LifecycleEvent_Close);
#ifdef MUTANT_FREE_ZOMBIE_EARLY
  if
  :: LC(x) == Lifecycle_Zombie ->      /* the C++ fault switch free_zombie_early, line for line */
     request[x] = Request_Idle;   /* Closed and Idle: Dead */
     requests_in_flight--;
     if
     :: e_in_flight == x -> e_in_flight = NONE
     :: else -> skip
     fi;
     e_requests--;
     zombies--
  :: else -> skip
  fi;
#endif
  if
  :: LC(x) == Lifecycle_Dead -> reclaim(x)
  :: else -> skip
  fi
}

/* mirrors Reactor::close_state for a wakeup source, second half: the first half is the CAS
 * loop that keeps only the queued bit (a separate step: the waker may act in between). */
inline close_wake_finish(x) {
  transition(x, LifecycleEvent_Close);
  if
  :: LC(x) == Lifecycle_Zombie -> wake_zombie[x] = 1
  :: LC(x) == Lifecycle_Dead -> reclaim(x)
  :: else -> skip
  fi
}

/* mirrors Reactor::reap_wake_zombies */
inline reap_wake_zombies() {
#ifndef MUTANT_NO_REAP_WAKE_ZOMBIES
  for (j : 0 .. NSLOT - 1) {
    if
    :: wake_zombie[j] && !(wake_word[j] & 1) ->
       wake_zombie[j] = 0;
       transition(j, LifecycleEvent_KernelReleased);
       if
       :: LC(j) == Lifecycle_Dead -> reclaim(j)
       :: else -> skip
       fi
    :: else -> skip
    fi
  };
  j = 0
#else
  skip
#endif
}

/* mirrors Reactor::on_poll_packet (packet in ps, pg, pst) */
inline on_poll_packet() {
  refs[ps]--;                 /* ghost: the kernel has let go of it */
  if
  :: kind[ps] != K_POLL || !IN_FLIGHT(ps) || POLL_GEN_MISMATCH(ps) ->
     assert(PROP_E_no_packet_misrouted || false)      /* ++misrouted */
  :: else ->
     assert(PROP_A_packet_applied_to_its_incarnation || pg == gen[ps]);
     requests_in_flight--;
     transition(ps, LifecycleEvent_KernelReleased);   /* the request is Idle again */
     e_requests--;
     if
     :: e_in_flight == ps ->
        e_in_flight = NONE;
        for (w : 0 .. NSLOT - 1) {   /* wake every waiter: queue_update */
          if
          :: waiting[w] -> waiting[w] = 0; in_update[w] = 1
          :: else -> skip
          fi
        };
        w = 0
     :: else -> skip
     fi;
     if
     :: LC(ps) == Lifecycle_Dead -> reclaim(ps)
     :: LC(ps) == Lifecycle_Active ->
        if
        :: pst == ST_LOCAL_CLOSE ->  /* mark_socket_gone */
           socket_gone[ps] = 1;
           if
           :: e_interested == ps -> e_interested = NONE
           :: else -> skip
           fi
        :: else -> skip
        fi;
        in_update[ps] = 1            /* re-armed at the next flush */
     :: else -> skip
     fi
  fi
}

/* mirrors Reactor::on_wake_packet */
inline on_wake_packet() {
  refs[ps]--;
  if
  :: kind[ps] != K_WAKE || !(wake_word[ps] & 1) ->
     assert(PROP_E_no_packet_misrouted || false)
  :: else ->
     if
     :: LC(ps) == Lifecycle_Zombie ->
        assert(PROP_A_packet_applied_to_its_incarnation || pg == gen[ps]);
        wake_word[ps] = 0;
        transition(ps, LifecycleEvent_KernelReleased);
        wake_zombie[ps] = 0;
        if
        :: LC(ps) == Lifecycle_Dead -> reclaim(ps)
        :: else -> skip
        fi
     :: else ->
        if
        :: WAKE_GEN_MISMATCH(ps, pg) ->
           assert(PROP_E_no_packet_misrouted || false)
        :: else ->
           assert(PROP_A_packet_applied_to_its_incarnation || pg == gen[ps]);
           wake_word[ps] = gen[ps] << 1;    /* cleared before the callback */
           transition(ps, LifecycleEvent_KernelReleased)
        fi
     fi
  fi
}

/* mirrors Reactor::process: dispatch one dequeued packet */
inline process_packet() {
  if
  :: pk == KEY_AFD -> on_poll_packet()
  :: else -> on_wake_packet()
  fi;
  pk = 0; ps = 0; pg = 0; pst = 0
}

/* ========================================================================================= */
/* No state is live: the first half of Reactor::close is over. */
#define NONE_LIVE (!IS_LIVE(LC(0)) && !IS_LIVE(LC(1)) && !IS_LIVE(LC(2)))
/* The user's calls are made before uvafd_close; the reactor's own steps (flush, reap, dequeue)
 * run while it is open, and during teardown once every live state has been closed. */
#define OPEN_OR_DRAINING (!teardown_started || NONE_LIVE)

proctype Reactor() {
  byte s, u, h, w, j, ci, ki, ev;
  byte pk, ps, pg, pst;
  byte n_poll_open, n_wake_open, n_set;

  do
  /* ---- the user's calls (reactor thread, also from inside callbacks) ---- */
  :: atomic {   /* mirrors Reactor::poll_open (base_socket fails unless the value is a socket) */
       !teardown_started && n_poll_open < MAX_POLL_OPEN && sock_open && free_n > 0 ->
       n_poll_open++;
       acquire(s);
       kind[s] = K_POLL;
       wake_word[s] = 0;
       transition(s, LifecycleEvent_Open);
       e_regs++;
       s = 0
     }
  :: atomic {   /* mirrors Reactor::wakeup_open */
       !teardown_started && n_wake_open < MAX_WAKE_OPEN && free_n > 0 ->
       n_wake_open++;
       acquire(s);
       kind[s] = K_WAKE;
       wake_word[s] = gen[s] << 1;
       transition(s, LifecycleEvent_Open);
       pub_slot = s;              /* the handle is given to the waker thread */
       pub_gen = gen[s];
       s = 0
     }
  :: atomic {   /* mirrors Reactor::poll_set_interest (the calls that succeed) */
       !teardown_started && n_set < MAX_SET && ANY(CAN_SET) ->
       PICK(s, CAN_SET);
       if
       :: ev = 0
       :: e_interested == NONE || e_interested == s -> ev = 1        /* else EEXIST */
       :: e_interested == NONE || e_interested == s -> ev = 3
       fi;
       n_set++;
       if
       :: ev != 0 -> e_interested = s
       :: ev == 0 && e_interested == s -> e_interested = NONE
       :: else -> skip
       fi;
       if
       :: ev != interest[s] -> poll_failed[s] = 0
       :: else -> skip
       fi;
       interest[s] = ev;
       in_update[s] = 1;          /* queue_update */
       ev = 0;
       s = 0
     }
  :: atomic {   /* the user closes the socket: AFD completes its polls with LOCAL_CLOSE */
       !teardown_started && SOCKET_REUSE && sock_open && sock_obj == 1 -> sock_open = 0
     }
  :: atomic {   /* socket() hands the same value back for a new socket (handle reuse) */
       !teardown_started && !sock_open && sock_obj == 1 -> sock_obj = 2; sock_open = 1
     }
  /* ---- handle_close -> close_state; also the first half of Reactor::close, which closes
   *      every live state (in slab order; any order here) before it drains ---- */
  :: atomic {   /* a poll registration */
       ANY(LIVE_POLL) ->
       PICK(s, LIVE_POLL);
       close_poll(s);
       s = 0
     }
  :: atomic {   /* a wakeup source: the CAS that keeps only the queued bit ... */
       ANY(LIVE_WAKE) ->
       PICK(s, LIVE_WAKE);
       wake_word[s] = WORD_AFTER_CLOSE(wake_word[s])
     };
     atomic { close_wake_finish(s); s = 0 }   /* ... then the transition (it reads the bit) */
  /* ---- Reactor::wait; during teardown, Reactor::close's drain loop ---- */
  :: atomic { OPEN_OR_DRAINING && (in_update[0] || in_update[1] || in_update[2]) ->
              flush_updates() }
  :: atomic {
       OPEN_OR_DRAINING &&
       ((wake_zombie[0] && !(wake_word[0] & 1)) || (wake_zombie[1] && !(wake_word[1] & 1)) ||
        (wake_zombie[2] && !(wake_word[2] & 1))) ->
       reap_wake_zombies()
     }
  :: atomic { OPEN_OR_DRAINING && nempty(port) -> port?pk, ps, pg, pst; process_packet() }
  /* ---- uvafd_close -> Reactor::close ---- */
  :: atomic { !teardown_started -> teardown_started = 1 }
  :: atomic {   /* drain loop: reap_wake_zombies, then a 100 ms slice without a packet;
                 * after a second of them, repeat the cancels */
       teardown_started && NONE_LIVE && zombies > 0 && empty(port) ->
       reap_wake_zombies();
       if
       :: skip
       :: for (j : 0 .. NSLOT - 1) {
            if
            :: kind[j] == K_POLL && owner[j] == Owner_Closed && IN_FLIGHT(j) -> cancel(j)
            :: else -> skip
            fi
          };
          j = 0
       fi
     }
  :: atomic {   /* no zombie left: the drain loop ends; flush_updates; closed_ = true */
       teardown_started && NONE_LIVE && zombies == 0 ->
       flush_updates();
       teardown_done = 1;
       assert(PROP_F_teardown_drained ||
              (live_states == 0 && requests_in_flight == 0 && k_nreq == 0 &&
               len(port) == 0 && e_regs == 0 && e_requests == 0));
       break
     }
  od
}

/* ========================================================================================= */
/* AFD and the I/O manager: complete any request in flight, in any order. */
proctype Kernel() {
  byte i, st;
end_kernel:
  do
  :: atomic {
       PICK(i, KR_USED);
       if
       :: kr_obj[i] == sock_obj && sock_open -> st = ST_READY      /* the socket is ready */
       :: kr_cancel[i] -> st = ST_CANCELLED                       /* the cancel took */
       :: !(kr_obj[i] == sock_obj && sock_open) -> st = ST_LOCAL_CLOSE  /* closesocket */
       fi;
       /* (b) the completion writes IO_STATUS_BLOCK and AFD_POLL_INFO: that memory must still
        * be this request's (SimKernel's owner check: unowned_writes == 0) */
       assert(PROP_B_kernel_writes_only_owned_memory ||
              (LC(kr_slot[i]) != Lifecycle_Free && gen[kr_slot[i]] == kr_gen[i] &&
               IN_FLIGHT(kr_slot[i]) && req_gen[kr_slot[i]] == kr_gen[i]));
       port!KEY_AFD, kr_slot[i], kr_gen[i], st;
       kr_used[i] = 0;
       kr_slot[i] = 0;
       kr_gen[i] = 0;
       kr_obj[i] = 0;
       kr_cancel[i] = 0;
       k_nreq--;
       i = 0;
       st = 0
     }
  od
}

/* ========================================================================================= */
/* Another thread calling uvafd_wake: mirrors Reactor::wake step by step. */
proctype Waker() {
  byte hs, hg, n, nfail;
end_waker:
  do
  :: atomic { n < MAX_WAKES && pub_gen != 0 -> hs = pub_slot; hg = pub_gen; n++ };
     /* load(acquire), the two checks and compare_exchange as one step. With one waker the
      * only writer that can make the CAS fail is the reactor (close, or a new incarnation),
      * and the retry then sees what a later load would have seen; so the retry loop adds no
      * behaviour and is folded in. The handle read above is a separate step: by now the
      * source may be closed and its slot reused. */
     if
     :: atomic {
          WAKER_REJECTS(wake_word[hs], hg) || (wake_word[hs] & 1) ->  /* EBADF / coalesced */
          hs = 0; hg = 0
        }
     :: atomic {
          !WAKER_REJECTS(wake_word[hs], hg) && !(wake_word[hs] & 1) ->
          wake_word[hs] = wake_word[hs] | 1;                           /* CAS succeeded */
          refs[hs]++
        };
        if
        :: atomic {       /* NtSetIoCompletion(port, kKeyWake, state, SUCCESS, generation) */
             port!KEY_WAKE, hs, hg, ST_SUCCESS;
             hs = 0; hg = 0
           }
        :: atomic {       /* it failed: no packet will come, give the bit back */
             nfail < MAX_POST_FAIL ->
             nfail++;
             wake_word[hs] = wake_word[hs] & 254;         /* fetch_and(~kWakeQueuedBit) */
             refs[hs]--;
             hs = 0; hg = 0
           }
        fi
     fi
  od
}

/* ========================================================================================= */
/* Teardown ends with nothing live, no zombie, no request and no packet. */
#define drained (teardown_done && live_states == 0 && zombies == 0 && requests_in_flight == 0 && \
                 k_nreq == 0 && len(port) == 0)

ltl teardown_ends { [] (teardown_started -> <> drained) }

init {
  byte f, e, hd, to, allowed;
  /* Fill lnext[] from lifecycle_next, and check that it has exactly the 13 entries of the
   * table in docs/lifecycle.md. */
  d_step {
    for (f : Lifecycle_Free .. Lifecycle_Invalid) {
      for (e : LifecycleEvent_Open .. LifecycleEvent_Reclaim) {
        for (hd : 0 .. 1) {
          lifecycle_next(f, e, hd, to);
          lnext[LNEXT_INDEX(f, e, hd)] = to;
          if
          :: to != Lifecycle_Invalid -> allowed++
          :: else -> skip
          fi
        }
      }
    };
    assert(MODEL_lifecycle_table_has_13_entries || allowed == 13);
    f = 0; e = 0; hd = 0; to = 0; allowed = 0
  };
  atomic {
    free_stk[0] = 2;   /* StateSlab::grow pushes in reverse: slot 0 is handed out first */
    free_stk[1] = 1;
    free_stk[2] = 0;
    free_n = 3;
    run Reactor();
    run Kernel();
    run Waker()
  }
}
