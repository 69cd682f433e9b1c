"""The twin's trace backend: Arize Phoenix (https://arize.com/docs/phoenix), receiving OTLP from every
part on loopback and keeping its spans under the twin's data folder.

`part.py` builds the part `foundry up` starts (it runs in the twin's venv). `launch.py` and
`service_names.py` run inside Phoenix's own venv (.venv-phoenix, whose pins clash with the services'),
so they import nothing of the repository's.
"""
