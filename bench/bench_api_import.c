/* bench_api_import.c — indicators through the REST API in batches.
 *
 * Usage: bench_api_import URL KEY EVENT_ID FILE.jsonl BATCH
 * Reads indicator lines (the bench_gen output; the event line is skipped),
 * POSTs them to URL/api/v1/events/EVENT_ID/indicators BATCH at a time over one
 * keep-alive connection, and prints "indicators=N seconds=S rate=R/s".
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
    kz_buf *b = ud;
    kz_buf_append(b, p, s * n);
    return s * n;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: bench_api_import URL KEY EVENT_ID FILE.jsonl BATCH\n");
        return 2;
    }
    size_t batch = strtoull(argv[5], NULL, 10);
    FILE *f = fopen(argv[4], "r");
    if (!f || batch == 0) {
        perror(argv[4]);
        return 1;
    }
    char url[1024], auth[256];
    snprintf(url, sizeof url, "%s/api/v1/events/%s/indicators", argv[1], argv[3]);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[2]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    kz_buf resp, body;
    kz_buf_init(&resp);
    kz_buf_init(&body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);

    char *line = NULL;
    size_t cap = 0, total = 0, in_batch = 0;
    ssize_t len;
    int first = 1, failed = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        len = getline(&line, &cap, f);
        if (len > 0 && first) { /* the event line */
            first = 0;
            continue;
        }
        if (len > 0) {
            kz_buf_puts(&body, in_batch ? "," : "[");
            /* drop "event_id": the route names the event */
            char *v = strstr(line, "\"type\"");
            kz_buf_putc(&body, '{');
            kz_buf_append(&body, v, strcspn(v, "\n"));
            in_batch++;
        }
        if (in_batch && (in_batch == batch || len <= 0)) {
            kz_buf_putc(&body, ']');
            kz_buf_reset(&resp);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
            long status = 0;
            if (curl_easy_perform(c) != CURLE_OK ||
                (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status), status >= 300)) {
                fprintf(stderr, "batch failed: HTTP %ld %.300s\n", status, resp.p ? resp.p : "");
                failed = 1;
                break;
            }
            total += in_batch;
            in_batch = 0;
            kz_buf_reset(&body);
        }
        if (len <= 0)
            break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("indicators=%zu seconds=%.3f rate=%.0f/s\n", total, s, (double)total / s);
    free(line);
    fclose(f);
    kz_buf_free(&resp);
    kz_buf_free(&body);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return failed;
}
