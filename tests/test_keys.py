"""The web layer finds Rasa's keys where Rasa writes them."""

from bot.stores import KEY_PREFIX
from webhook import keys


def test_web_layer_and_rasa_stores_share_the_key_prefix():
    assert keys.PREFIX == KEY_PREFIX


def test_the_delete_command_is_the_same_on_both_sides():
    from actions.deletion import DELETE_COMMAND as sent
    from webhook.erase import DELETE_COMMAND as understood

    assert sent == understood
