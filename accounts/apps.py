from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from accounts.lockouts import count_failed_login, forget_failed_logins

        user_login_failed.connect(count_failed_login, dispatch_uid="accounts-lockout")
        user_logged_in.connect(forget_failed_logins, dispatch_uid="accounts-lockout")
