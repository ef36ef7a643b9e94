"""The web layer finds Rasa's keys where Rasa writes them."""

from bot.stores import KEY_PREFIX
from webhook import keys


def test_web_layer_and_rasa_stores_share_the_key_prefix():
    assert keys.PREFIX == KEY_PREFIX


def test_the_delete_command_is_the_same_on_both_sides():
    from actions.deletion import DELETE_COMMAND as sent
    from webhook.erase import DELETE_COMMAND as understood

    assert sent == understood


def test_the_contact_answers_mean_the_same_on_both_sides():
    from actions.handoff import CONTACT_WINDOWS, SKIPPED
    from webhook.delivery import SKIPPED as skipped_here
    from webhook.quiet import CONTACT_WINDOWS as windows_here

    assert SKIPPED == skipped_here
    # Every window the buttons offer, but "any", holds texts outside its hours.
    assert set(CONTACT_WINDOWS) - {"any"} == set(windows_here)
