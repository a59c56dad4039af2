/* ratelimit.c — a token bucket per API key (and, in separate tables, per
 * e-mail and per client address for HTTP Basic attempts). Buckets live in a
 * fixed-size table split into stripes, each with its own mutex, so threads serving
 * different keys rarely wait on each other and memory cannot grow with the
 * number of keys a client invents. A full stripe evicts its least recently
 * used bucket: an idle bucket is full anyway, so forgetting it changes
 * nothing for a well-behaved client.
 */
#include "http_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RL_STRIPES 256
#define RL_WAYS 16

typedef struct rl_bucket {
    kz_uuid id;      /* "" = free */
    double tokens;
    kz_time last;    /* last refill */
} rl_bucket;

typedef struct rl_stripe {
    pthread_mutex_t mu;
    rl_bucket b[RL_WAYS];
} rl_stripe;

struct kz_ratelimit {
    double rate;  /* tokens per second */
    double burst; /* bucket size */
    rl_stripe s[RL_STRIPES];
};

kz_ratelimit *kz_ratelimit_new(double rate, unsigned burst)
{
    if (!(rate > 0))
        return NULL;
    kz_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->rate = rate;
    /* A burst below one request would refuse everything. */
    rl->burst = burst >= 1 ? burst : (rate >= 1 ? ceil(rate) : 1);
    for (size_t i = 0; i < RL_STRIPES; i++)
        pthread_mutex_init(&rl->s[i].mu, NULL);
    return rl;
}

void kz_ratelimit_free(kz_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < RL_STRIPES; i++)
        pthread_mutex_destroy(&rl->s[i].mu);
    free(rl);
}

int kz_ratelimit_take(kz_ratelimit *rl, const char *id, kz_time now, unsigned *retry_after)
{
    uint64_t h = kz_hash64(id, strlen(id));
    rl_stripe *s = &rl->s[h % RL_STRIPES];
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    rl_bucket *hit = NULL, *oldest = &s->b[0];
    for (size_t i = 0; i < RL_WAYS; i++) {
        rl_bucket *b = &s->b[i];
        if (strcmp(b->id, id) == 0) {
            hit = b;
            break;
        }
        if (!b->id[0] || (oldest->id[0] && b->last < oldest->last))
            oldest = b;
    }
    if (!hit) {
        hit = oldest;
        snprintf(hit->id, sizeof hit->id, "%s", id);
        hit->tokens = rl->burst;
        hit->last = now;
    }
    if (now > hit->last) {
        hit->tokens += (double)(now - hit->last) / 1e6 * rl->rate;
        if (hit->tokens > rl->burst)
            hit->tokens = rl->burst;
        hit->last = now;
    }
    if (hit->tokens >= 1.0) {
        hit->tokens -= 1.0;
    } else {
        double wait = (1.0 - hit->tokens) / rl->rate;
        *retry_after = (unsigned)ceil(wait);
        if (*retry_after < 1)
            *retry_after = 1;
        rc = KZ_E_RATE;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void kz_ratelimit_refund(kz_ratelimit *rl, const char *id)
{
    if (!rl)
        return;
    uint64_t h = kz_hash64(id, strlen(id));
    rl_stripe *s = &rl->s[h % RL_STRIPES];
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < RL_WAYS; i++) {
        rl_bucket *b = &s->b[i];
        if (strcmp(b->id, id) == 0) {
            b->tokens = b->tokens + 1.0 > rl->burst ? rl->burst : b->tokens + 1.0;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
}
