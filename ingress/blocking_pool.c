#include "blocking_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct job {
    void (*run)(void *);
    void *ctx;
    struct job *next;
};

struct ft_blocking_pool {
    pthread_mutex_t lock;
    pthread_cond_t queued;
    struct job *head, *tail; /* waiting, oldest first */
    size_t waiting, running, queue_max;
    bool stopping;
    int thread_count;
    pthread_t *threads;
};

static void *serve(void *arg)
{
    struct ft_blocking_pool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->head == NULL && !pool->stopping)
            pthread_cond_wait(&pool->queued, &pool->lock);
        struct job *job = pool->head;
        if (job == NULL)
            break; /* stopping, and nothing left to run */
        pool->head = job->next;
        if (pool->head == NULL)
            pool->tail = NULL;
        pool->waiting--;
        pool->running++;
        pthread_mutex_unlock(&pool->lock);
        job->run(job->ctx);
        free(job);
        pthread_mutex_lock(&pool->lock);
        pool->running--;
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

struct ft_blocking_pool *ft_blocking_pool_start(int threads, size_t queue_max)
{
    struct ft_blocking_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL || threads < 1 || (pool->threads = calloc((size_t)threads, sizeof *pool->threads)) == NULL) {
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->queued, NULL);
    pool->queue_max = queue_max;
    for (; pool->thread_count < threads; pool->thread_count++)
        if (pthread_create(&pool->threads[pool->thread_count], NULL, serve, pool) != 0) {
            ft_blocking_pool_stop(pool);
            return NULL;
        }
    return pool;
}

bool ft_blocking_pool_submit(struct ft_blocking_pool *pool, void (*run)(void *), void *ctx)
{
    struct job *job = malloc(sizeof *job);
    if (job == NULL)
        return false;
    *job = (struct job){ .run = run, .ctx = ctx };
    pthread_mutex_lock(&pool->lock);
    bool taken = !pool->stopping && pool->waiting < pool->queue_max;
    if (taken) {
        if (pool->tail != NULL)
            pool->tail->next = job;
        else
            pool->head = job;
        pool->tail = job;
        pool->waiting++;
        pthread_cond_signal(&pool->queued);
    }
    pthread_mutex_unlock(&pool->lock);
    if (!taken)
        free(job);
    return taken;
}

size_t ft_blocking_pool_load(struct ft_blocking_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    size_t load = pool->waiting + pool->running;
    pthread_mutex_unlock(&pool->lock);
    return load;
}

void ft_blocking_pool_stop(struct ft_blocking_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->queued);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->thread_count; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->queued);
    pthread_mutex_destroy(&pool->lock);
    free(pool->threads);
    free(pool);
}
