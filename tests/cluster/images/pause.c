/*
 * The pod sandbox process of the test cluster's pause image (swh.local/pause:3.10), written for
 * this repository. It holds the pod's namespaces open and does nothing else: it sleeps in
 * pause(), reaps any child that ends up with it (it is PID 1 of the pod's PID namespace when the
 * namespace is shared), and exits 0 on SIGINT or SIGTERM. Built with
 * `gcc -static -Os -o pause pause.c` by tests/cluster/images/recipes.ts.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static void handle(int sig, void (*fn)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) _exit(1);
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    static const char usage[] = "pause: takes no arguments; sleeps until SIGINT or SIGTERM\n";
    (void)!write(STDERR_FILENO, usage, sizeof usage - 1);
    return 2;
  }
  handle(SIGINT, on_stop);
  handle(SIGTERM, on_stop);
  handle(SIGCHLD, on_child);
  for (;;) pause();
}
