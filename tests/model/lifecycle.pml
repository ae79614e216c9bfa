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

/* ---- enum class Lifecycle (lifecycle.h) ------------------------------------------------- */
#define L_FREE    0
#define L_ACTIVE  1
#define L_CPEND   2             /* CancelPending */
#define L_ZOMBIE  3
#define L_DEAD    4
#define L_INVALID 5

/* ---- enum class LifecycleEvent (lifecycle.h) -------------------------------------------- */
#define EV_OPEN     0
#define EV_CANCEL   1           /* CancelIssued */
#define EV_RELEASED 2           /* KernelReleased */
#define EV_CLOSE    3
#define EV_RECLAIM  4

#define K_POLL 0                /* StateKind */
#define K_WAKE 1

#define KEY_AFD  0              /* completion keys: kKeyAfd, kKeyWake */
#define KEY_WAKE 1

#define ST_SUCCESS     0        /* wake packet */
#define ST_READY       1        /* poll completed with events */
#define ST_CANCELLED   2        /* STATUS_CANCELLED */
#define ST_LOCAL_CLOSE 3        /* completed with AFD_POLL_LOCAL_CLOSE */

#define IS_LIVE(l) ((l) == L_ACTIVE || (l) == L_CPEND)   /* lifecycle_is_live */

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
byte lc[NSLOT];            /* lifecycle */
byte gen[NSLOT];           /* generation */
bit  kind[NSLOT];
byte wake_word[NSLOT];     /* (generation << 1) | packet_queued; std::atomic in the C++ */
bit  req_pending[NSLOT];   /* request_pending */
byte req_gen[NSLOT];       /* request_generation */
byte interest[NSLOT];
byte submitted[NSLOT];     /* submitted_mask */
bit  cancel_issued[NSLOT];
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
byte t_to;

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
#define LIVE_POLL(i)  (IS_LIVE(lc[i]) && kind[i] == K_POLL)
#define LIVE_WAKE(i)  (IS_LIVE(lc[i]) && kind[i] == K_WAKE)
#define CAN_SET(i)    (LIVE_POLL(i) && !socket_gone[i])   /* else poll_set_interest: EBADF */
#define ANY(c)        (c(0) || c(1) || c(2))
#define KR_USED(i)    (kr_used[i])
#define IN_UPDATE(i)  (in_update[i])

/* ========================================================================================= */
/* mirrors lifecycle_next() in backend/src/lifecycle.cpp, case by case                      */
inline lifecycle_next(from, ev, held, to) {
  to = L_INVALID;
  if
  :: from == L_FREE ->
     if
     :: ev == EV_OPEN && !held -> to = L_ACTIVE
     :: else -> skip
     fi
  :: from == L_ACTIVE ->
     if
     :: ev == EV_CANCEL && held -> to = L_CPEND
     :: ev == EV_RELEASED -> to = L_ACTIVE
     :: ev == EV_CLOSE -> to = (held -> L_ZOMBIE : L_DEAD)
     :: else -> skip
     fi
  :: from == L_CPEND ->
     if
     :: ev == EV_RELEASED && !held -> to = L_ACTIVE
     :: ev == EV_CLOSE -> to = (held -> L_ZOMBIE : L_DEAD)
     :: else -> skip
     fi
  :: from == L_ZOMBIE ->
     if
     :: ev == EV_CANCEL && held -> to = L_ZOMBIE
     :: ev == EV_RELEASED -> to = (held -> L_ZOMBIE : L_DEAD)
     :: else -> skip
     fi
  :: from == L_DEAD ->
     if
     :: ev == EV_RECLAIM && !held -> to = L_FREE
     :: else -> skip
     fi
  :: else -> skip
  fi
}

/* lifecycle_next() evaluated once for every (from, event, held) by init and kept in a table,
 * so that the model's many transition sites stay small (spin inlines every call). */
#define LNEXT_INDEX(from, ev, held) (((from) * 5 + (ev)) * 2 + (held))
hidden byte lnext[60];

/* mirrors Reactor::transition: held = PinnedState::kernel_holds_memory() after the event;
 * a forbidden triple is property (d) (the C++ counts it in invalid_transitions). */
inline transition(x, ev) {
  t_to = lnext[LNEXT_INDEX(lc[x], ev, (req_pending[x] || (wake_word[x] & 1)))];
  assert(PROP_D_transition_in_table || t_to != L_INVALID);
  if
  :: lc[x] == L_FREE -> live_states++
  :: t_to == L_FREE -> live_states--
  :: else -> skip
  fi;
  if
  :: t_to == L_ZOMBIE && lc[x] != L_ZOMBIE -> zombies++
  :: lc[x] == L_ZOMBIE && t_to != L_ZOMBIE -> zombies--
  :: else -> skip
  fi;
  lc[x] = t_to;
  t_to = 0
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
  transition(x, EV_RECLAIM);
  interest[x] = 0;
  submitted[x] = 0;
  req_pending[x] = 0;
  cancel_issued[x] = 0;
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
  cancel_issued[x] = 1;
  if
  :: lc[x] == L_ACTIVE || lc[x] == L_ZOMBIE -> transition(x, EV_CANCEL)
  :: else -> skip
  fi
}

/* mirrors Reactor::submit, with the kernel's side of NtDeviceIoControlFile(IOCTL_AFD_POLL) */
inline submit(x) {
  req_pending[x] = 1;          /* before the call: a ready socket completes inside it */
  if
  :: !sock_open ->
     /* the value names no socket: synchronous error, no packet, IOSB not written */
     req_pending[x] = 0;
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

/* mirrors Reactor::update_one */
inline update_one(x) {
  if
  :: lc[x] != L_ACTIVE || kind[x] != K_POLL -> skip
  :: else ->
     if
     :: socket_gone[x] || poll_failed[x] -> skip
     :: else ->
        if
        :: req_pending[x] ->
           /* a pending poll that misses a wanted bit is cancelled, re-armed on its packet */
           if
           :: interest[x] != 0 && (interest[x] & ~submitted[x]) != 0 -> cancel(x)
           :: else -> skip
           fi
        :: else ->
           if
           :: interest[x] == 0 -> skip
           :: else ->
              if
              :: MUST_WAIT_FOR_BASE(x) ->
                 /* one poll per base socket: ask the holder to let go, arm on its packet */
                 h = e_in_flight;
                 if
                 :: !cancel_issued[h] -> cancel(h)
                 :: else -> skip
                 fi;
                 h = 0;
                 waiting[x] = 1
              :: else -> submit(x)
              fi
           fi
        fi
     fi
  fi
}

/* mirrors Reactor::flush_updates; the queue's order is left to the model checker */
inline flush_one(x) {
  in_update[x] = 0;
  if
  :: lc[x] == L_FREE -> release(x)      /* reclaimed while queued */
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
  :: req_pending[x] && !cancel_issued[x] -> cancel(x)   /* readiness could take forever */
  :: else -> skip
  fi;
  transition(x, EV_CLOSE);
#ifdef MUTANT_FREE_ZOMBIE_EARLY
  if
  :: lc[x] == L_ZOMBIE ->      /* the C++ fault switch free_zombie_early, line for line */
     req_pending[x] = 0;
     requests_in_flight--;
     if
     :: e_in_flight == x -> e_in_flight = NONE
     :: else -> skip
     fi;
     e_requests--;
     zombies--;
     lc[x] = L_DEAD
  :: else -> skip
  fi;
#endif
  if
  :: lc[x] == L_DEAD -> reclaim(x)
  :: else -> skip
  fi
}

/* mirrors Reactor::close_state for a wakeup source, second half: the first half is the CAS
 * loop that keeps only the queued bit (a separate step: the waker may act in between). */
inline close_wake_finish(x) {
  transition(x, EV_CLOSE);
  if
  :: lc[x] == L_ZOMBIE -> wake_zombie[x] = 1
  :: lc[x] == L_DEAD -> reclaim(x)
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
       transition(j, EV_RELEASED);
       if
       :: lc[j] == L_DEAD -> reclaim(j)
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
  :: kind[ps] != K_POLL || !req_pending[ps] || POLL_GEN_MISMATCH(ps) ->
     assert(PROP_E_no_packet_misrouted || false)      /* ++misrouted */
  :: else ->
     assert(PROP_A_packet_applied_to_its_incarnation || pg == gen[ps]);
     req_pending[ps] = 0;
     cancel_issued[ps] = 0;
     requests_in_flight--;
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
     transition(ps, EV_RELEASED);
     if
     :: lc[ps] == L_DEAD -> reclaim(ps)
     :: lc[ps] == L_ACTIVE ->
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
     :: lc[ps] == L_ZOMBIE ->
        assert(PROP_A_packet_applied_to_its_incarnation || pg == gen[ps]);
        wake_word[ps] = 0;
        transition(ps, EV_RELEASED);
        wake_zombie[ps] = 0;
        if
        :: lc[ps] == L_DEAD -> reclaim(ps)
        :: else -> skip
        fi
     :: else ->
        if
        :: WAKE_GEN_MISMATCH(ps, pg) ->
           assert(PROP_E_no_packet_misrouted || false)
        :: else ->
           assert(PROP_A_packet_applied_to_its_incarnation || pg == gen[ps]);
           wake_word[ps] = gen[ps] << 1;    /* cleared before the callback */
           transition(ps, EV_RELEASED)
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
#define NONE_LIVE (!IS_LIVE(lc[0]) && !IS_LIVE(lc[1]) && !IS_LIVE(lc[2]))
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
       transition(s, EV_OPEN);
       e_regs++;
       s = 0
     }
  :: atomic {   /* mirrors Reactor::wakeup_open */
       !teardown_started && n_wake_open < MAX_WAKE_OPEN && free_n > 0 ->
       n_wake_open++;
       acquire(s);
       kind[s] = K_WAKE;
       wake_word[s] = gen[s] << 1;
       transition(s, EV_OPEN);
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
            :: lc[j] == L_ZOMBIE && req_pending[j] -> cancel(j)
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
              (lc[kr_slot[i]] != L_FREE && gen[kr_slot[i]] == kr_gen[i] &&
               req_pending[kr_slot[i]] && req_gen[kr_slot[i]] == kr_gen[i]));
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
    for (f : L_FREE .. L_INVALID) {
      for (e : EV_OPEN .. EV_RECLAIM) {
        for (hd : 0 .. 1) {
          lifecycle_next(f, e, hd, to);
          lnext[LNEXT_INDEX(f, e, hd)] = to;
          if
          :: to != L_INVALID -> allowed++
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
