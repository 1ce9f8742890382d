/* Single-precision matrix multiply, built -O3 so the loop nest vectorizes. */
#include <stdio.h>
#include <stdlib.h>

enum { M = 128 };
static float a[M][M], b[M][M], c[M][M];

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            a[i][j] = (float)((i * j) % 7) * 0.5f, b[i][j] = (float)((i + j) % 5) * 0.25f;
    for (long r = 0; r < n; r++) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++)
                c[i][j] = 0;
        for (int i = 0; i < M; i++)
            for (int k = 0; k < M; k++) {
                float x = a[i][k];
                for (int j = 0; j < M; j++)
                    c[i][j] += x * b[k][j];
            }
        a[r % M][(r * 3) % M] += 1.0f;
    }
    double s = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            s += c[i][j];
    printf("matmul %.3f\n", s);
    return 0;
}
