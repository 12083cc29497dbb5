/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of argo-core, for ftrace and trace-cmd:
 *   echo 1 > /sys/kernel/tracing/events/argo/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM argo

#if !defined(_ARGO_CORE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ARGO_CORE_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(argo_sendv,
	TP_PROTO(u32 src_port, u16 domid, u32 port, size_t len, u32 type,
		 long ret),
	TP_ARGS(src_port, domid, port, len, type, ret),
	TP_STRUCT__entry(
		__field(u32, src_port)
		__field(u16, domid)
		__field(u32, port)
		__field(size_t, len)
		__field(u32, type)
		__field(long, ret)
	),
	TP_fast_assign(
		__entry->src_port = src_port;
		__entry->domid = domid;
		__entry->port = port;
		__entry->len = len;
		__entry->type = type;
		__entry->ret = ret;
	),
	TP_printk("from port %#x to dom%u:%#x len %zu type %#x ret %ld",
		  __entry->src_port, __entry->domid, __entry->port,
		  __entry->len, __entry->type, __entry->ret)
);

TRACE_EVENT(argo_receive,
	TP_PROTO(u32 port, u16 src_domid, u32 src_port, u32 len, u32 type),
	TP_ARGS(port, src_domid, src_port, len, type),
	TP_STRUCT__entry(
		__field(u32, port)
		__field(u16, src_domid)
		__field(u32, src_port)
		__field(u32, len)
		__field(u32, type)
	),
	TP_fast_assign(
		__entry->port = port;
		__entry->src_domid = src_domid;
		__entry->src_port = src_port;
		__entry->len = len;
		__entry->type = type;
	),
	TP_printk("ring port %#x from dom%u:%#x len %u type %#x",
		  __entry->port, __entry->src_domid, __entry->src_port,
		  __entry->len, __entry->type)
);

TRACE_EVENT(argo_notify,
	TP_PROTO(unsigned int nent, int ret),
	TP_ARGS(nent, ret),
	TP_STRUCT__entry(
		__field(unsigned int, nent)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->nent = nent;
		__entry->ret = ret;
	),
	TP_printk("entries %u ret %d", __entry->nent, __entry->ret)
);

TRACE_EVENT(argo_ring_register,
	TP_PROTO(u32 port, u16 partner, u32 len, bool reregister, int ret),
	TP_ARGS(port, partner, len, reregister, ret),
	TP_STRUCT__entry(
		__field(u32, port)
		__field(u16, partner)
		__field(u32, len)
		__field(bool, reregister)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->port = port;
		__entry->partner = partner;
		__entry->len = len;
		__entry->reregister = reregister;
		__entry->ret = ret;
	),
	TP_printk("port %#x partner %u len %u%s ret %d", __entry->port,
		  __entry->partner, __entry->len,
		  __entry->reregister ? " (again, after resume)" : "",
		  __entry->ret)
);

/* A ring event with an outcome: unregistered, or given up as lost. */
DECLARE_EVENT_CLASS(argo_ring_result,
	TP_PROTO(u32 port, u16 partner, int ret),
	TP_ARGS(port, partner, ret),
	TP_STRUCT__entry(
		__field(u32, port)
		__field(u16, partner)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->port = port;
		__entry->partner = partner;
		__entry->ret = ret;
	),
	TP_printk("port %#x partner %u ret %d", __entry->port,
		  __entry->partner, __entry->ret)
);

DEFINE_EVENT(argo_ring_result, argo_ring_unregister,
	TP_PROTO(u32 port, u16 partner, int ret),
	TP_ARGS(port, partner, ret)
);

/* @ret: the errno the ring's client is told (its lost callback) */
DEFINE_EVENT(argo_ring_result, argo_ring_lost,
	TP_PROTO(u32 port, u16 partner, int ret),
	TP_ARGS(port, partner, ret)
);

#endif /* _ARGO_CORE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
