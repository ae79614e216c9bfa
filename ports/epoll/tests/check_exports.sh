#!/bin/sh
# epoll_dll_exports: uvafd_epoll.dll exports wepoll's five functions and nothing else.
names=$(x86_64-w64-mingw32-objdump -p "$1" | sed -n '/Ordinal\/Name Pointer/,/^$/p' |
        sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort | tr '\n' ' ')
echo "exports: $names"
[ "$names" = "epoll_close epoll_create epoll_create1 epoll_ctl epoll_wait " ]
