// Debian's pkg-config for `openblas` points the include path at the
// OpenBLAS-specific cblas.h and links -lopenblas, never the generic -lblas
// (which update-alternatives may point at the slow reference BLAS).
#include <cblas.h>
