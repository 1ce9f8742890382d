/* N-body gravitational simulation in double precision. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { NB = 64 };
static double px[NB], py[NB], pz[NB], vx[NB], vy[NB], vz[NB], m[NB];

int main(int argc, char **argv) {
    long steps = argc > 1 ? atol(argv[1]) : 100;
    for (int i = 0; i < NB; i++) {
        px[i] = i * 0.37 - 7;
        py[i] = (i * 7 % 13) * 0.51 - 3;
        pz[i] = (i * 11 % 17) * 0.23 - 2;
        vx[i] = vy[i] = vz[i] = 0;
        m[i] = 1.0 + (i % 5) * 0.1;
    }
    const double dt = 0.001;
    for (long s = 0; s < steps; s++) {
        for (int i = 0; i < NB; i++) {
            double ax = 0, ay = 0, az = 0;
            for (int j = 0; j < NB; j++) {
                double dx = px[j] - px[i], dy = py[j] - py[i], dz = pz[j] - pz[i];
                double d2 = dx * dx + dy * dy + dz * dz + 0.01;
                double inv = m[j] / (d2 * sqrt(d2));
                ax += dx * inv;
                ay += dy * inv;
                az += dz * inv;
            }
            vx[i] += ax * dt;
            vy[i] += ay * dt;
            vz[i] += az * dt;
        }
        for (int i = 0; i < NB; i++)
            px[i] += vx[i] * dt, py[i] += vy[i] * dt, pz[i] += vz[i] * dt;
    }
    double e = 0;
    for (int i = 0; i < NB; i++)
        e += 0.5 * m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
    printf("nbody %.9e\n", e);
    return 0;
}
