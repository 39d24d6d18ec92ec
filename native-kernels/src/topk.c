/* Top-k selection over a scored batch: a bounded min-heap of indices (worst on top), O(count log k),
 * then heap-sorted best first. k is small (tens) in every caller, so a scalar heap beats a SIMD
 * partition of the whole batch. The heap lives in the caller's output buffer: nothing is allocated. */
#include <math.h>

#include "internal.h"

/* Index a is worse than index b: lower score, or the same score at a higher index (ties keep the lower index). */
static int worse(const float* s, int64_t a, int64_t b)
{
    return s[a] < s[b] || (s[a] == s[b] && a > b);
}

static void sift_down(const float* s, int64_t* h, int32_t n, int32_t at)
{
    for (;;) {
        int32_t l = 2 * at + 1, r = l + 1, w = at;
        if (l < n && worse(s, h[l], h[w])) w = l;
        if (r < n && worse(s, h[r], h[w])) w = r;
        if (w == at) return;
        int64_t t = h[at]; h[at] = h[w]; h[w] = t;
        at = w;
    }
}

static void sift_up(const float* s, int64_t* h, int32_t at)
{
    while (at > 0) {
        int32_t p = (at - 1) / 2;
        if (!worse(s, h[at], h[p])) return;
        int64_t t = h[at]; h[at] = h[p]; h[p] = t;
        at = p;
    }
}

int32_t sck_top_k_f32(const float* scores, int64_t count, int32_t k, int64_t* out_index)
{
    if (count < 0 || k < 0 || (count > 0 && scores == NULL) || (k > 0 && out_index == NULL)) return -1;
    int32_t n = 0;
    for (int64_t i = 0; i < count && k > 0; i++) {
        if (isnan(scores[i])) continue;
        if (n < k) {
            out_index[n] = i;
            sift_up(scores, out_index, n);
            n++;
        } else if (worse(scores, out_index[0], i)) {
            out_index[0] = i;
            sift_down(scores, out_index, n, 0);
        }
    }
    /* Heap sort: moving the worst to the end each time leaves the array best first. */
    for (int32_t end = n - 1; end > 0; end--) {
        int64_t t = out_index[0]; out_index[0] = out_index[end]; out_index[end] = t;
        sift_down(scores, out_index, end, 0);
    }
    return n;
}
