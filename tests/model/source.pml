/* The embedded wakeup source's word protocol (backend/src/sources.cpp), checked exhaustively
 * with spin: two sender threads racing the loop thread's deliveries, close, release and
 * reuse of the same memory. docs/model.md says what each property protects.
 *
 * The word: (generation << 2) | in flight | taken; generation 0 = closed. Senders only set the
 * in-flight bit (CAS from idle, while the generation is not 0) and give it back when their
 * post fails; the loop thread alone changes the generation, turns a dequeued packet's bit into
 * taken, and clears taken when the caller rearms, just before it acts on the wakeup (compat's
 * uv__process_async_wakeup_req, where libuv clears async_sent). Memory order: the code's
 * seq_cst fences on both sides of the Dekker pair (the sender's data then the bit, the loop's
 * rearm then the data) make the sequentially consistent interleavings that spin explores the
 * ones that matter.
 *
 * Properties (asserts; every run must also end in a valid end state):
 *  (a) the memory is released (the caller's again) only when no packet names it and no sender
 *      holds the bit (between its CAS and its post or give-back);
 *  (b) a closed source is released exactly once;
 *  (c) no lost wakeup: while open, the last delivery after the last send sees every send;
 *  (d) a packet always finds its own incarnation's bit set (never misrouted), through reuse;
 *  (e) one delivery per callback: while a delivery waits for the caller to act on it, wakes
 *      post nothing (they are covered by it, as libuv's async_sent covers them).
 *
 * Mutants (-DMUTANT_x): RELEASE_EARLY (close hands back a source whose bit is set),
 * NO_REAP (a closed source whose sender's post failed is never looked at again),
 * CLEAR_AFTER_CALLBACK (the rearm comes after the callback read the data),
 * CLOSE_DROPS_BIT (close writes 0, forgetting the packet in flight), IDLE_ON_DELIVERY (the
 * source is idle again at delivery instead of taken). Each must fail. */

#ifndef WAKES
#define WAKES 2           /* wakes per sender */
#endif
#ifndef MAX_POST_FAIL
#define MAX_POST_FAIL 1   /* posts the kernel refuses, in all */
#endif
#ifndef INCARNATIONS
#define INCARNATIONS 2    /* opens of the same memory */
#endif

#ifdef MUTANT_NO_REAP
#define REAP 0
#else
#define REAP 1
#endif

byte gen = 1;          /* generation of the current incarnation (the loop's) */
byte word_gen = 1;     /* the word's generation half; 0: closed */
bit  word_bit = 0;     /* the word's in-flight bit */
bit  word_taken = 0;   /* the word's taken bit: delivered, the caller yet to act */
bit  pending_cb = 0;   /* the loop's: a delivery whose callback is still to come (QUEUED) */
chan port = [4] of { byte };  /* packets: the generation they carry */

byte holders = 0;      /* senders between a successful CAS and their post or give-back */
byte post_fails = 0;
byte sent = 0;         /* the data a wakeup announces: written before each wake */
byte seen = 0;         /* what the last delivery read */
bit closed = 0;        /* the loop closed the current incarnation */
bit waiting = 0;       /* closed with the bit set: on the reactor's list */
bit released = 0;      /* the current incarnation's memory is the caller's again */
byte senders_done = 0;
byte incarnation = 1;

inline release() {
  assert(!released);                       /* (b) */
  assert(len(port) == 0 && holders == 0);  /* (a) */
  released = 1;
  waiting = 0
}

proctype sender() {
  byte i = 0, g;
  bit b;
  do
  :: i < WAKES ->
     /* The user's side of the contract (libuv's too): sends may race the close, but the
      * memory is reused only after close_cb and after the threads that send to it are done
      * (the reuse step below waits for both). */
     sent++;
     /* source_wake: load; refuse on generation 0; coalesce on the bit; CAS the bit in. */
retry:
     atomic { g = word_gen; b = word_bit | word_taken };
     if
     :: g == 0 -> skip                     /* closed: refused */
     :: else ->
        if
        :: b -> skip                       /* coalesced */
        :: else ->
           atomic {
             if
             :: word_gen == g && word_bit == 0 && word_taken == 0 -> word_bit = 1; holders++
             :: else -> goto retry
             fi
           };
           /* post, or the kernel refuses and the bit goes back */
           atomic {
             if
             :: post_fails < MAX_POST_FAIL -> post_fails++; word_bit = 0; holders--
             :: port ! g; holders--
             fi
           }
        fi
     fi;
     i++
  :: else -> break
  od;
  atomic { senders_done++ }
}

/* on_source_packet */
inline deliver() {
  byte pg;
  port ? pg;
  assert(word_bit == 1);  /* (d) */
  if
  :: word_gen == 0 ->
#ifdef MUTANT_CLOSE_DROPS_BIT
     skip
#endif
     word_bit = 0;
     release()
  :: else ->
     assert(pg == word_gen);  /* (d): its own incarnation */
     assert(!pending_cb);     /* (e) */
#ifdef MUTANT_IDLE_ON_DELIVERY
     word_bit = 0;
#else
     atomic { word_bit = 0; word_taken = 1 };
#endif
     pending_cb = 1
  fi
}

/* uv__process_async_wakeup_req: rearm, then the callback reads the data */
inline act() {
#ifdef MUTANT_CLEAR_AFTER_CALLBACK
  seen = sent;
  word_taken = 0;
#else
  word_taken = 0;
  seen = sent;
#endif
  pending_cb = 0
}

init {
  run sender(); run sender();
  do
  :: len(port) > 0 -> deliver()  /* not atomic: senders run between its steps */
  :: pending_cb && !closed -> act()
  /* source_close, once per incarnation */
  :: atomic {
       !closed ->
       closed = 1;
       word_gen = 0;
       word_taken = 0;  /* a taken delivery names nothing: only the in-flight bit is kept */
       pending_cb = 0;  /* its request, still queued, now only ends the close */
#ifdef MUTANT_CLOSE_DROPS_BIT
       word_bit = 0;
#endif
#ifdef MUTANT_RELEASE_EARLY
       release()
#else
       if
       :: word_bit == 0 -> release()
       :: else -> waiting = 1
       fi
#endif
     }
  /* release_closed_sources, at every wait */
#ifndef MUTANT_NO_REAP
  :: atomic { waiting && word_bit == 0 -> release() }
#endif
  /* reuse of the released memory: a new incarnation with a new generation */
  :: atomic {
       released && senders_done == 2 && incarnation < INCARNATIONS ->
       incarnation++; gen++;
       word_gen = gen; word_bit = 0; word_taken = 0; pending_cb = 0;
       closed = 0; released = 0; waiting = 0
     }
  /* the end: senders done, the port drained, nothing left to do */
  :: atomic {
       senders_done == 2 && len(port) == 0 && holders == 0 && !(waiting && word_bit == 0 && REAP) &&
       !(pending_cb && !closed) ->
       if
       :: incarnation == 1 && !closed && post_fails == 0 -> assert(seen == sent)  /* (c) */
       :: else -> skip
       fi;
       assert(word_bit == 0 && word_taken == 0);  /* no bit left with nothing behind it */
       assert(!waiting);       /* (b): a closed source still waiting now waits for ever */
       break
     }
  od
}
