# Guichet – see README.md. Every target sets up what it needs (.venv, requirements) by itself.
.PHONY: run test bench demo messages lint format clean

run:
	scripts/bootstrap requirements.txt
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/python manage.py load_demo
	scripts/run-dev

test:
	scripts/bootstrap requirements-dev.txt
	scripts/test $(PYTEST_ARGS)

bench:
	scripts/bootstrap requirements-dev.txt
	scripts/ensure-packages wrk:wrk
	scripts/with-services .venv/bin/python -m bench $(BENCH_ARGS)

# Refresh the translation catalogs from the code and templates, then compile them (needs gettext).
messages:
	scripts/bootstrap requirements-dev.txt
	.venv/bin/python manage.py makemessages --locale fr --locale en --no-obsolete --ignore '.venv/*' --ignore 'bench/*' --ignore 'tests/*'
	.venv/bin/python manage.py compilemessages --ignore '.venv/*'

lint:
	scripts/bootstrap requirements-dev.txt
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	scripts/bootstrap requirements-dev.txt
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache
