# The two entry points a newcomer needs; both install what a fresh machine lacks first.
.PHONY: setup test demo build

setup:
	bash scripts/setup.sh

build: setup
	npm run build

test: setup
	npm test

demo: setup
	npm run demo
