# Task runner. The work is done by the scripts in deploy/local/; see `make help`.
SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
STACK := deploy/local/stack.sh

.PHONY: help deps build run up down status test clean bench

help:
	@echo "make run     install what is missing, build, start PostgreSQL + Kafka + services,"
	@echo "             load a demo, print where to point curl; Ctrl-C stops everything"
	@echo "make up      the same, in the background (stop with make down)"
	@echo "make down    stop everything make run/up/test started"
	@echo "make status  what runs"
	@echo "make build   release build (build/release)"
	@echo "make test    sanitizer build (build/asan) and every test against real PostgreSQL and Kafka"
	@echo "             (CTEST_ARGS='-R name' to pick tests)"
	@echo "make clean   make down, then delete build/ and .state/ (database, Kafka data, secrets)"
	@echo "make deps    install the Debian packages that are missing"
	@echo "make bench   the on-sale benchmark and its yardsticks, one table (3-5 min;"
	@echo "             FULL=1: three rounds, medians). Stops the services of make up first"

deps:
	@deploy/local/install-deps.sh

build: deps
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFT_BUILD_TESTS=OFF
	cmake --build build/release -j$(JOBS)

run: build
	@$(STACK) run

up: build
	@$(STACK) up

down:
	@$(STACK) down

status:
	@$(STACK) status

test:
	@deploy/local/test.sh $(CTEST_ARGS)

# The stack's services are started by the benchmark itself, on a database of its own.
bench: build
	@/usr/bin/python3 bench/bench.py $(if $(FULL),--full)

clean:
	@$(STACK) purge
	rm -rf build
