// SPDX-License-Identifier: GPL-2.0
/* Instantiates argo-core's trace events (see trace.h). */
#define CREATE_TRACE_POINTS
#include "trace.h"
