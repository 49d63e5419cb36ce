"""The payoff editor: the core's messages while typing, and a signal only for a valid payoff."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from roistudio.core.payoff.language import check_expression, parse_payoff
from roistudio.core.payoff.presets import PRESETS, apply_preset
from roistudio.core.project.demo import DEMO_PARAMETERS, DEMO_PAYOFF
from roistudio.gui.payoff_editor import DEBOUNCE_MS, PayoffEditor

pytestmark = pytest.mark.gui

COLUMNS = {"amount": "DOUBLE", "channel": "VARCHAR", "score": "DOUBLE", "is_fraud": "INTEGER"}


@pytest.fixture
def editor(qtbot):
    widget = PayoffEditor()
    qtbot.addWidget(widget)
    widget.set_columns(COLUMNS)
    widget.set_payoff(DEMO_PAYOFF, DEMO_PARAMETERS, {"recovery_rate": (0.7, 0.95)})
    return widget


def test_a_typo_shows_the_core_message_under_the_field(editor, qtbot):
    edit = editor.expression_edit("fn")
    with qtbot.assertNotEmitted(editor.payoffEdited, wait=DEBOUNCE_MS + 200):
        edit.clear()
        qtbot.keyClicks(edit, "amout + 1")
    assert editor.error_text("fn") == "unknown column 'amout' at 1:1, did you mean 'amount'?"
    assert not editor.is_valid()
    label = editor._error_labels["fn"]
    assert label.isVisibleTo(editor)
    assert label.message() == editor.error_text("fn") == label.toolTip()


def test_error_messages_are_exactly_the_cores(editor):
    for text in ("amount *", "channel * 2", "review_cost + nosuch"):
        editor.expression_edit("tp").setText(text)
        expected = check_expression(text, columns=COLUMNS, parameters=list(DEMO_PARAMETERS))
        assert expected is not None
        assert editor.error_text("tp") == expected.message


def test_payoff_edited_only_once_everything_is_valid(editor, qtbot):
    edit = editor.expression_edit("tp")
    edit.setText("-amount * (1 - recovery_rate) - review_cost + bonus")  # unknown parameter
    assert "bonus" in editor.error_text("tp")
    with qtbot.assertNotEmitted(editor.payoffEdited, wait=DEBOUNCE_MS + 200):
        pass
    # Adding the parameter makes the expression valid: one debounced signal with the whole payoff.
    editor.add_parameter_row()
    table = editor.parameter_table()
    row = table.rowCount() - 1
    with qtbot.waitSignal(editor.payoffEdited, timeout=2000) as blocker:
        table.item(row, 0).setText("bonus")
        table.item(row, 1).setText("2.5")
    expressions, parameters, ranges = blocker.args
    assert editor.error_text("tp") == ""
    assert expressions["tp"] == "-amount * (1 - recovery_rate) - review_cost + bonus"
    assert parameters == {**DEMO_PARAMETERS, "bonus": 2.5}
    assert ranges == {"recovery_rate": (0.7, 0.95)}
    parse_payoff(expressions, parameters, COLUMNS)  # what was emitted parses


def test_bad_parameter_values_block_the_signal(editor, qtbot):
    table = editor.parameter_table()
    with qtbot.assertNotEmitted(editor.payoffEdited, wait=DEBOUNCE_MS + 200):
        table.item(0, 1).setText("abc")
    assert editor.parameter_error_text() == "parameter 'recovery_rate': value 'abc' is not a number"
    with qtbot.assertNotEmitted(editor.payoffEdited, wait=DEBOUNCE_MS + 200):
        table.item(0, 1).setText("0.5")  # now outside its range 0.7..0.95
    assert (
        editor.parameter_error_text()
        == "parameter 'recovery_rate': the range 0.7 to 0.95 must contain the value 0.5"
    )


def test_set_payoff_does_not_emit_and_round_trips(editor, qtbot):
    with qtbot.assertNotEmitted(editor.payoffEdited, wait=DEBOUNCE_MS + 100):
        editor.set_payoff({"tp": "amount", "fp": "-1"}, {"k": 3.0}, {"k": (1.0, 5.0)})
    assert editor.payoff_state() == (
        {"tp": "amount", "fp": "-1", "tn": "0", "fn": "0"},
        {"k": 3.0},
        {"k": (1.0, 5.0)},
    )


def test_preset_uses_the_data_money_column(qtbot):
    editor = PayoffEditor()
    qtbot.addWidget(editor)
    columns = {"balance_eur": "BIGINT", "p_subscribe": "DOUBLE", "job": "VARCHAR"}
    editor.set_columns(columns)
    with qtbot.waitSignal(editor.payoffEdited, timeout=2000) as blocker:
        editor.apply_preset("Marketing contact")
    expected = apply_preset(PRESETS["Marketing contact"], columns)
    assert blocker.args[0] == expected[0]
    assert blocker.args[0]["tp"] == "balance_eur * gross_margin - contact_cost"
    assert blocker.args[1] == expected[1]


def test_the_error_underline_covers_the_offending_name(editor):
    edit = editor.expression_edit("fn")
    edit.setText("-amout - chargeback_fee")
    error = check_expression(edit.text(), columns=COLUMNS, parameters=list(DEMO_PARAMETERS))
    assert error.position == (1, 2)
    assert PayoffEditor._error_span(edit.text(), error.position) == (1, len("amout"))
    # An error at the very end (a dangling operator) marks the last character.
    assert PayoffEditor._error_span("amount *", (1, 9)) == (7, 1)


def test_completion_offers_columns_parameters_and_functions(editor, qtbot):
    edit = editor.expression_edit("tn")
    edit.clear()
    qtbot.keyClicks(edit, "2 * c")
    completer = edit._completer
    offered = [completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())]
    assert offered == ["channel", "chargeback_fee", "clip", "coalesce"]  # columns, parameters, functions
    completer.activated.emit("chargeback_fee")
    assert edit.text() == "2 * chargeback_fee"  # only the word under the cursor is replaced


def test_a_click_on_the_next_field_while_the_completion_popup_is_open_lands_there(editor, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    editor.resize(800, 600)
    editor.show()
    qtbot.waitExposed(editor)
    tp, fn = editor.expression_edit("tp"), editor.expression_edit("fn")
    tp.setFocus()
    tp.clear()
    qtbot.keyClicks(tp, "amount - rev")
    popup = tp._completer.popup()
    assert popup.isVisible()
    typed_in_tp = tp.text()
    # Through the window, as a real click arrives: the open popup catches it first.
    window = editor.window()
    QTest.mouseClick(
        window.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
        fn.mapTo(window, fn.rect().center()),
    )  # fmt: skip
    assert not popup.isVisible()
    assert QApplication.focusWidget() is fn
    fn.selectAll()
    qtbot.keyClicks(QApplication.focusWidget(), "-amount * 2")
    assert fn.text() == "-amount * 2"  # the keys went to the field clicked, not to TP
    assert tp.text() == typed_in_tp


def test_an_error_line_does_not_move_the_fields_below(editor, qtbot):
    editor.resize(800, 600)
    editor.show()
    qtbot.waitExposed(editor)
    fields = [editor.expression_edit(o) for o in ("fp", "tn", "fn")]
    before = [f.geometry().top() for f in fields]
    editor.expression_edit("tp").setText("amount *")
    qtbot.wait(50)
    assert editor.error_text("tp")
    assert [f.geometry().top() for f in fields] == before
