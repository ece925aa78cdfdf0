"""Interchange with other learning systems: Moodle GIFT in (``gift_read``) and out (``gift_write``,
which also writes quiz YAML), the GIFT syntax both and the question types share (``gift_syntax``),
Moodle XML in (``moodle_xml``), and xAPI statements (``xapi``).

Nothing is imported here: the question types import ``gift_syntax``, and the readers import the
question types, so importing the package must not pull in its modules."""
