// Records INCRBYFLOAT arithmetic from this machine's C long double (x87 80-bit on x86-64,
// as in Redis): `gcc -O2 -o /tmp/ld scripts/record-long-double.c && /tmp/ld >
// crates/emulator/tests/data/long-double-sums.txt`. ld2string human mode is reproduced below.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
// Emits lines "a b result" where result is Redis's INCRBYFLOAT of a by b.
static void human(long double v, char *buf, size_t len) {
    int l = snprintf(buf, len, "%.17Lf", v);
    if (strchr(buf, '.')) { char *p = buf + l - 1; while (*p == '0') { p--; l--; } if (*p == '.') l--; }
    buf[l] = 0;
    if (l == 2 && buf[0] == '-' && buf[1] == '0') { buf[0] = '0'; buf[1] = 0; }
}
int main(void) {
    srand(42);
    char a[64], b[64], out[6000];
    for (int i = 0; i < 1500; i++) {
        int kind = rand() % 6;
        if (kind == 0) { snprintf(a, 64, "%d.%d", rand() % 1000 - 500, rand() % 1000); snprintf(b, 64, "%d.%de%d", rand()%100, rand()%100, rand()%10 - 5); }
        else if (kind == 1) { snprintf(a, 64, "%.17g", (double)rand() / RAND_MAX * 1e6); snprintf(b, 64, "%.3f", (double)rand() / RAND_MAX - 0.5); }
        else if (kind == 2) { snprintf(a, 64, "%de%d", rand() % 100000, rand() % 60 - 30); snprintf(b, 64, "-%de%d", rand() % 1000, rand() % 60 - 30); }
        else if (kind == 3) { snprintf(a, 64, "0.%d", rand()); snprintf(b, 64, "0.%d", rand()); }
        else if (kind == 4) { snprintf(a, 64, "%de%d", rand() % 1000, rand() % 800 - 400); snprintf(b, 64, "%de%d", rand() % 1000, rand() % 800 - 400); }
        else { snprintf(a, 64, "%d.%de%d", rand() % 10, rand(), rand() % 9800 - 4900); snprintf(b, 64, "-%d.%de%d", rand() % 10, rand(), rand() % 9800 - 4900); }
        long double x = strtold(a, NULL), y = strtold(b, NULL);
        human(x + y, out, sizeof out);
        printf("%s %s %s\n", a, b, out);
    }
    return 0;
}
