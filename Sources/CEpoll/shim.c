// The header's inline functions are the whole target; a C target needs one source file.
#include "CEpoll.h"
