//! `admin`: a database set up or upgraded (`init`, `upgrade`, with
//! credentials that may create roles); a deployment file validated whole
//! and written in one audited transaction (`apply`); officers added and
//! disabled, with their login roles on PostgreSQL.

use super::args::{AdminCommand, OfficerCommand};
use super::output;
use crate::context::{Context, Failure, Outcome};
use crate::deploy::{Deployment, OfficerSpec};
use crate::domain::Role;
use crate::store::{Error, Store};

pub async fn run(store: &mut Store, ctx: &Context, action: &AdminCommand) -> Outcome<i32> {
    match action {
        AdminCommand::Init | AdminCommand::Upgrade => super::setup::init(store, ctx).await,
        AdminCommand::Apply { file } => apply(store, ctx, file).await,
        AdminCommand::Officer { action } => officer(store, ctx, action).await,
    }
}

async fn apply(store: &mut Store, ctx: &Context, file: &std::path::Path) -> Outcome<i32> {
    let known = store.bureau_levels().await?;
    let d = Deployment::load(file, &known).map_err(|e| Failure::usage(e.to_string()))?;
    // Who applies it: an administrator; the first deployment of a database
    // without one is its bootstrap, audited under the user's login (on
    // PostgreSQL the database itself checks, by the session's login).
    let (by, bureau) = if store.has_admin().await? && store.is_embedded() {
        let o = ctx.officer(store).await?;
        crate::domain::judge::may_administer(&o).map_err(Error::from)?;
        (o.login, Some(o.bureau_id))
    } else {
        (ctx.officer_login(store)?, None)
    };
    store.apply_deployment(&by, bureau.as_deref(), &d).await?;
    output::line(&d.summary());
    super::workflow::warn(store).await?;
    Ok(0)
}

async fn officer(store: &Store, ctx: &Context, action: &OfficerCommand) -> Outcome<i32> {
    let by = ctx.officer(store).await?;
    match action {
        OfficerCommand::Add {
            login,
            name,
            bureau,
            roles,
            password_file,
        } => {
            let roles = parse_roles(roles)?;
            let password = match password_file {
                Some(f) => Some(read_password(f)?),
                None => None,
            };
            let spec = OfficerSpec {
                login: login.clone(),
                name: name.clone(),
                bureau: bureau.clone(),
                roles,
                active: true,
            };
            store.add_officer(&by, &spec, password.as_deref()).await?;
            output::message(&format!(
                "已登记税务人员 {} (officer added){}",
                crate::domain::text::inert(login),
                if store.is_embedded() {
                    String::new()
                } else {
                    format!("；登录角色 {login} 已可登录 (login role ready)")
                }
            ));
        }
        OfficerCommand::Disable { login } => {
            store.disable_officer(&by, login).await?;
            output::message(&format!(
                "已停用税务人员 {} (officer disabled; history kept)",
                crate::domain::text::inert(login)
            ));
        }
    }
    Ok(0)
}

fn parse_roles(text: &str) -> Outcome<Vec<Role>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|r| {
            Role::parse(r).ok_or_else(|| {
                Failure::usage(format!(
                    "未知的角色“{}”：应为 accept、review、confirm、supervise 或 admin (unknown role)",
                    crate::domain::text::inert(r)
                ))
            })
        })
        .collect()
}

/// The first line of a password file, which must be the user's alone.
fn read_password(f: &std::path::Path) -> Outcome<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(f).map_err(|e| {
        Failure::usage(format!(
            "无法读取 {}：{e} (cannot read the password file)",
            f.display()
        ))
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Failure::usage(format!(
            "密码文件 {} 他人可读：请 chmod 600 (the password file is readable by others: chmod 600 it)",
            f.display()
        )));
    }
    let text = crate::files::read_text(f, crate::files::SMALL).map_err(|e| {
        Failure::usage(format!(
            "无法读取 {}：{e} (cannot read the password file)",
            f.display()
        ))
    })?;
    let pw = text.lines().next().unwrap_or("").to_string();
    if pw.is_empty() {
        return Err(Failure::usage("密码文件为空 (the password file is empty)"));
    }
    Ok(pw)
}
