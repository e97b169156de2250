#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "blocking_pool.h"

/* A job that waits until the test opens the gate, then records its turn. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool open;
    int started;
    int order[16];
    atomic_int finished;
};

static struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, { 0 }, 0 };

struct job {
    int number;
};

static void wait_at_gate(void *ctx)
{
    struct job *job = ctx;
    pthread_mutex_lock(&gate.lock);
    gate.order[gate.started++] = job->number;
    pthread_cond_broadcast(&gate.changed);
    while (!gate.open)
        pthread_cond_wait(&gate.changed, &gate.lock);
    pthread_mutex_unlock(&gate.lock);
    atomic_fetch_add(&gate.finished, 1);
}

static void reset_gate(void)
{
    gate.open = false;
    gate.started = 0;
    atomic_store(&gate.finished, 0);
}

static void open_gate(void)
{
    pthread_mutex_lock(&gate.lock);
    gate.open = true;
    pthread_cond_broadcast(&gate.changed);
    pthread_mutex_unlock(&gate.lock);
}

static void wait_started(int count)
{
    pthread_mutex_lock(&gate.lock);
    while (gate.started < count)
        pthread_cond_wait(&gate.changed, &gate.lock);
    pthread_mutex_unlock(&gate.lock);
}

Test(blocking_pool, jobs_wait_side_by_side_on_their_own_threads)
{
    reset_gate();
    struct ft_blocking_pool *pool = ft_blocking_pool_start(3, 10);
    cr_assert_not_null(pool);
    struct job jobs[3] = { { 1 }, { 2 }, { 3 } };
    for (int i = 0; i < 3; i++)
        cr_assert(ft_blocking_pool_submit(pool, wait_at_gate, &jobs[i]));
    wait_started(3); /* all three wait at once: none waits behind another */
    cr_assert_eq(ft_blocking_pool_load(pool), 3);
    open_gate();
    ft_blocking_pool_stop(pool);
    cr_assert_eq(atomic_load(&gate.finished), 3);
}

Test(blocking_pool, a_full_queue_refuses_and_stop_runs_what_waits_in_order)
{
    reset_gate();
    struct ft_blocking_pool *pool = ft_blocking_pool_start(1, 2);
    cr_assert_not_null(pool);
    struct job jobs[4] = { { 1 }, { 2 }, { 3 }, { 4 } };
    cr_assert(ft_blocking_pool_submit(pool, wait_at_gate, &jobs[0]));
    wait_started(1); /* the only thread is busy */
    cr_assert(ft_blocking_pool_submit(pool, wait_at_gate, &jobs[1]));
    cr_assert(ft_blocking_pool_submit(pool, wait_at_gate, &jobs[2]));
    cr_assert_not(ft_blocking_pool_submit(pool, wait_at_gate, &jobs[3]), "two wait already: the third is refused");
    cr_assert_eq(ft_blocking_pool_load(pool), 3);
    open_gate();
    ft_blocking_pool_stop(pool); /* runs the two that waited before it returns */
    cr_assert_eq(atomic_load(&gate.finished), 3);
    cr_assert_eq(gate.order[0], 1);
    cr_assert_eq(gate.order[1], 2);
    cr_assert_eq(gate.order[2], 3);
}

Test(blocking_pool, refuses_nonsense)
{
    cr_assert_null(ft_blocking_pool_start(0, 10));
    ft_blocking_pool_stop(NULL);
}
