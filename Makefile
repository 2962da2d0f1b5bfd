# tthub: PGXS build of the extension (tthub.so + SQL scripts) and its pg_regress suite.
# The C++ programs (simulator, OAuth shim) and the GoogleTest units are built by CMake.

EXTENSION  = tthub
MODULE_big = tthub

# src/core: pure C++ (no Postgres headers, unit-tested); src/ext: Postgres-facing C++,
# in rooms: pg/ (the error bridge, SPI, values, transactions), sync/ (worker, engine,
# queue, writer, account store, store lock), sql_api/ (SQL-callable entry points),
# config/ (settings and secrets).
SRCS = $(sort $(wildcard src/core/*.cpp)) $(sort $(wildcard src/ext/*.cpp src/ext/*/*.cpp))
OBJS = $(SRCS:.cpp=.o)
# Released scripts are kept as they shipped; the update to the version under work is
# assembled from one fragment per capability (src/extension_sql/A--B/NN-topic.sql, in name
# order), so each capability's SQL reads on its own.
UPDATE_DIRS  = $(sort $(wildcard src/extension_sql/*--*/))
UPDATE_BUILT = $(patsubst src/extension_sql/%/,src/extension_sql/tthub--%.sql,$(UPDATE_DIRS))
DATA = $(filter-out $(UPDATE_BUILT),$(sort $(wildcard src/extension_sql/tthub--*.sql)))
DATA_built = $(UPDATE_BUILT)

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))

PG_CONFIG ?= pg_config
PG_INCLUDE_SERVER := $(shell $(PG_CONFIG) --includedir-server)

PG_CPPFLAGS = -Isrc -isystem $(PG_INCLUDE_SERVER)
# -MMD -MP: each object also records the headers it includes (x.d), so changing a
# header rebuilds what uses it (PGXS tracks only .c dependencies, and only when
# PostgreSQL was configured with --enable-depend).
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -Wno-register -Wno-missing-field-initializers -MMD -MP
SHLIB_LINK  = -lstdc++ -lcurl -lcrypto

# Debian's PG15 also compiles every object to LLVM bitcode with clang-14, which does
# not receive PG_CXXFLAGS (so no C++17). tthub gains nothing from JIT inlining.
override with_llvm = no

# Before the include: PGXS tests EXTRA_CLEAN when it reads its clean rule.
EXTRA_CLEAN = $(OBJS:.o=.d)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
-include $(OBJS:.o=.d)

# src/core builds and is unit-tested without Postgres (CMake compiles it with no
# Postgres include path); here the build refuses a Postgres header in it before
# compiling anything.
CORE_FILES = $(wildcard src/core/*.h src/core/*.cpp)
.PHONY: core-is-plain-cxx
core-is-plain-cxx:
	@if grep -nE '^\s*#\s*include\s*[<"](postgres|postgres_ext|fmgr|funcapi|miscadmin|pgstat|ext/|access/|catalog/|executor/|nodes/|storage/|utils/|lib/|libpq/|commands/|tcop/|postmaster/)' $(CORE_FILES); then \
	  echo "src/core must not include Postgres headers (above)"; exit 1; fi
$(OBJS): | core-is-plain-cxx
EXTRA_CLEAN += $(OBJS:.o=.d)

.SECONDEXPANSION:
src/extension_sql/tthub--%.sql: $$(sort $$(wildcard src/extension_sql/%/*.sql))
	{ printf -- '-- Generated from src/extension_sql/$*/ by make: edit the fragments there.\n'; \
	  printf '\\echo Use "ALTER EXTENSION tthub UPDATE" to load this file. \\quit\n'; \
	  for f in $^; do printf '\n-- %s\n' "$$f"; cat "$$f"; done; } > $@
